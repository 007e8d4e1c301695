-- pjd catalogue, layout 2: per-stack row profiles, so a stack that grows is only
-- processed for its new pairs.
--
-- Profiles depend on the pair's data and on the parameters that shape them per pair
-- (columns analysed, cmin), so those are part of the key. Arrays are stored compactly:
-- little-endian float64 (intensity_pct, median_grad_mm: exactly the values the stack-wide
-- steps use, so an incremental run equals a full one to the bit) or int16 (counts_cts),
-- one value per row, zlib-compressed. Per-pair statistics travel with them, since the stack-wide
-- steps need them too.
CREATE TABLE pjd_stack_profiles (
  id              INTEGER PRIMARY KEY,
  stack_id        INTEGER NOT NULL,
  pair            TEXT NOT NULL CHECK (length(pair) = 17),
  x0              INTEGER NOT NULL CHECK (x0 >= 0),
  x1              INTEGER NOT NULL CHECK (x1 > x0),
  cmin            REAL NOT NULL,
  length          INTEGER NOT NULL CHECK (length > 0),
  stats_json      TEXT NOT NULL,     -- coherence and gradient statistics of the pair
  intensity_pct   BLOB NOT NULL,
  counts_cts      BLOB NOT NULL,
  median_grad_mm  BLOB NOT NULL,
  CONSTRAINT pjd_stack_profiles_stack_fk FOREIGN KEY (stack_id) REFERENCES pjd_stacks (id) ON DELETE CASCADE,
  CONSTRAINT pjd_stack_profiles_unique UNIQUE (stack_id, pair, x0, x1, cmin)
);

INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) VALUES
  ('pjd_stack_profiles', 'attributes', 'pjd_stack_profiles', 'Per-stack row profiles of each pair',
   strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
