-- pjd catalogue, layout 3: what the robust method (--method robust) adds to a run.
--
-- Per run and date, the azimuth misregistration from the pair-network inversion, and per
-- run and pair, the signed jump at each seam (same order as pjd_run_seams.seam_index) with
-- its uncertainty. Published runs leave these empty / NULL.
CREATE TABLE pjd_run_dates (
  id             INTEGER PRIMARY KEY,
  run_id         INTEGER NOT NULL,
  date           TEXT NOT NULL CHECK (length(date) = 8),
  misreg_px      REAL,                -- median of the run's dates = 0
  sigma_px       REAL,
  jump_mm        REAL,                -- LOS jump per seam against a perfect date (signed)
  jump_sigma_mm  REAL,
  n_pairs        INTEGER NOT NULL CHECK (n_pairs >= 0),
  excluded       INTEGER NOT NULL CHECK (excluded IN (0, 1)),
  CONSTRAINT pjd_run_dates_run_fk FOREIGN KEY (run_id) REFERENCES pjd_runs (id) ON DELETE CASCADE,
  CONSTRAINT pjd_run_dates_unique UNIQUE (run_id, date)
);
CREATE INDEX pjd_run_dates_date ON pjd_run_dates (date);

-- JSON arrays, one value per seam (null where not measured): signed phi(after) - phi(before)
-- in LOS mm, and its 1-sigma uncertainty.
ALTER TABLE pjd_run_pairs ADD COLUMN seam_jump_mm_json TEXT;
ALTER TABLE pjd_run_pairs ADD COLUMN seam_jump_sigma_mm_json TEXT;
ALTER TABLE pjd_run_pairs ADD COLUMN ramp_sigma_mm REAL;
-- How the run decided the burst count (robust: estimated from the seam spacing or --n-burst).
ALTER TABLE pjd_runs ADD COLUMN n_burst_source TEXT;

INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) VALUES
  ('pjd_run_dates', 'attributes', 'pjd_run_dates', 'Per-run, per-date azimuth misregistration (robust method)',
   strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
