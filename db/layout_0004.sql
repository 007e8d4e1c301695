-- pjd catalogue, layout 4: the robust method's per-pair segment profiles, so that a grown
-- stack is only read for its new pairs by --method robust too.
--
-- Per pair and analysed columns, the sum of the azimuth gradients (rad) and the number of
-- cells summed, per row and column segment (rows x n_segments, row-major, little-endian
-- float32, zlib-compressed): exactly what the robust method's stack-wide steps read, so an
-- incremental run equals a full one to the bit. The segments depend only on the analysed
-- columns, not on cmin. The published per-pair profiles (pjd_stack_profiles) are reused too.
CREATE TABLE pjd_stack_segments (
  id              INTEGER PRIMARY KEY,
  stack_id        INTEGER NOT NULL,
  pair            TEXT NOT NULL CHECK (length(pair) = 17),
  x0              INTEGER NOT NULL CHECK (x0 >= 0),
  x1              INTEGER NOT NULL CHECK (x1 > x0),
  length          INTEGER NOT NULL CHECK (length > 0),
  n_segments      INTEGER NOT NULL CHECK (n_segments > 0),
  grad_sum_rad    BLOB NOT NULL,
  grad_cnt        BLOB NOT NULL,
  CONSTRAINT pjd_stack_segments_stack_fk FOREIGN KEY (stack_id) REFERENCES pjd_stacks (id) ON DELETE CASCADE,
  CONSTRAINT pjd_stack_segments_unique UNIQUE (stack_id, pair, x0, x1)
);

INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) VALUES
  ('pjd_stack_segments', 'attributes', 'pjd_stack_segments',
   'Per-stack gradient profiles of each pair per column segment (robust method)',
   strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

-- Robust runs on merged sub-swaths: which sub-swath each seam belongs to (index into the
-- run's sub-swaths), and the sub-swaths themselves as a JSON array of {name, x0, x1, n_burst,
-- seam_spacing_rows, jump_rad_per_px}, so that maps drawn from the catalogue put each seam on
-- its own columns.
ALTER TABLE pjd_run_seams ADD COLUMN subswath INTEGER;
ALTER TABLE pjd_runs ADD COLUMN subswaths_json TEXT;
