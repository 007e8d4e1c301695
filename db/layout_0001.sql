-- pjd catalogue, layout 1: stacks, detection runs and their per-pair, per-seam and
-- per-date results.
--
-- The catalogue is a GeoPackage (GDAL creates the gpkg_* core tables); these are
-- attribute tables registered in gpkg_contents, each with an INTEGER PRIMARY KEY as
-- GeoPackage requires. Dates are TEXT 'YYYYMMDD' (MintPy's form, sorts correctly);
-- times are TEXT ISO-8601 UTC ('2026-11-21T05:37:00Z'). Units are in column names.
-- Applied inside one transaction by pjd; PRAGMA foreign_keys=ON is set on every connection.

-- Key/value facts about the catalogue itself. 'layout_version' is checked on open:
-- a newer layout than this pjd knows is refused, an older one is upgraded in order.
CREATE TABLE pjd_metadata (
  id    INTEGER PRIMARY KEY,
  key   TEXT NOT NULL UNIQUE,
  value TEXT NOT NULL
);

-- One row per stack, recognised by content rather than by path:
--   identity    = hash of dims, key attributes and a sample of the first pair's values;
--                 unchanged when the stack is moved or grows with new acquisitions;
--   fingerprint = identity + the full pair list + a sample of the last pair;
--                 changes whenever pairs are added, removed or rewritten.
-- path is the path as last given; it may go stale when a stack is moved.
CREATE TABLE pjd_stacks (
  id              INTEGER PRIMARY KEY,
  identity        TEXT NOT NULL UNIQUE,
  fingerprint     TEXT NOT NULL,
  path            TEXT NOT NULL,
  project         TEXT,                       -- optional label given by the user
  platform        TEXT,                       -- PLATFORM attribute, e.g. 'Sen'
  orbit_direction TEXT NOT NULL DEFAULT ''
                  CHECK (orbit_direction IN ('ASCENDING', 'DESCENDING', '')),
  track           INTEGER CHECK (track IS NULL OR track > 0),  -- relative orbit, when known
  subswath        TEXT,                       -- beam_swath attribute when present ('1', '2', '3', ...)
  length          INTEGER NOT NULL CHECK (length > 0),   -- rows (azimuth)
  width           INTEGER NOT NULL CHECK (width > 0),    -- columns (range)
  wavelength_m    REAL CHECK (wavelength_m IS NULL OR wavelength_m > 0),
  alooks          INTEGER CHECK (alooks IS NULL OR alooks > 0),
  rlooks          INTEGER CHECK (rlooks IS NULL OR rlooks > 0),
  n_pairs         INTEGER NOT NULL CHECK (n_pairs >= 0),
  first_date      TEXT CHECK (first_date IS NULL OR length(first_date) = 8),
  last_date       TEXT CHECK (last_date IS NULL OR length(last_date) = 8),
  created_utc     TEXT NOT NULL,
  updated_utc     TEXT NOT NULL
);
CREATE INDEX pjd_stacks_platform_orbit ON pjd_stacks (platform, orbit_direction, track);

-- One row per detection. A run is written in a single transaction together with all
-- its pairs, seams and dates, so a run that is visible is complete.
CREATE TABLE pjd_runs (
  id               INTEGER PRIMARY KEY,
  stack_id         INTEGER NOT NULL,
  fingerprint      TEXT NOT NULL,             -- the stack's fingerprint at the time of the run
  method           TEXT NOT NULL,             -- 'published', ...
  params_json      TEXT NOT NULL,             -- every parameter, as pjd detect's summary.json has them
  n_burst          INTEGER NOT NULL CHECK (n_burst >= 2),
  x0               INTEGER NOT NULL CHECK (x0 >= 0),   -- analysed columns [x0, x1)
  x1               INTEGER NOT NULL CHECK (x1 > x0),
  pj_thr_mm        REAL NOT NULL,
  software_version TEXT NOT NULL,
  started_utc      TEXT NOT NULL,
  finished_utc     TEXT NOT NULL,
  duration_s       REAL NOT NULL CHECK (duration_s >= 0),
  status           TEXT NOT NULL CHECK (status IN ('complete', 'warnings')),
  warnings_json    TEXT NOT NULL DEFAULT '[]',
  n_pairs          INTEGER NOT NULL CHECK (n_pairs >= 0),
  n_pairs_reused   INTEGER NOT NULL DEFAULT 0 CHECK (n_pairs_reused >= 0),  -- profiles taken from the catalogue
  summary_path     TEXT,                      -- where summary.json was written, if anywhere
  CONSTRAINT pjd_runs_stack_fk FOREIGN KEY (stack_id) REFERENCES pjd_stacks (id) ON DELETE CASCADE
);
CREATE INDEX pjd_runs_stack ON pjd_runs (stack_id, id);

-- Per run, per pair. ramp_mm is NULL when the pair was not assessed (skipped, or no
-- value at the seam rows).
CREATE TABLE pjd_run_pairs (
  id             INTEGER PRIMARY KEY,
  run_id         INTEGER NOT NULL,
  pair           TEXT NOT NULL CHECK (length(pair) = 17),   -- YYYYMMDD_yyyymmdd
  ref_date       TEXT NOT NULL CHECK (length(ref_date) = 8),
  sec_date       TEXT NOT NULL CHECK (length(sec_date) = 8),
  btemp_days     INTEGER NOT NULL,
  coh_median     REAL, coh_mean REAL, coh_std REAL,
  grad_median_mm REAL, grad_mean_mm REAL, grad_std_mm REAL,
  skipped        INTEGER NOT NULL CHECK (skipped IN (0, 1)),
  ramp_mm        REAL,
  excluded       INTEGER NOT NULL CHECK (excluded IN (0, 1)),
  CONSTRAINT pjd_run_pairs_run_fk FOREIGN KEY (run_id) REFERENCES pjd_runs (id) ON DELETE CASCADE,
  CONSTRAINT pjd_run_pairs_unique UNIQUE (run_id, pair)
);
CREATE INDEX pjd_run_pairs_excluded ON pjd_run_pairs (run_id, excluded);

-- Per run, the seam rows found (row = first row after the seam).
CREATE TABLE pjd_run_seams (
  id             INTEGER PRIMARY KEY,
  run_id         INTEGER NOT NULL,
  seam_index     INTEGER NOT NULL CHECK (seam_index >= 0),
  row            INTEGER NOT NULL CHECK (row >= 0),
  votes          INTEGER NOT NULL CHECK (votes >= 0),       -- pairs that flagged this row
  median_jump_mm REAL,                                      -- median over pairs of the row's median |gradient|
  warning        INTEGER NOT NULL DEFAULT 0 CHECK (warning IN (0, 1)),  -- the run warned about its seams
  CONSTRAINT pjd_run_seams_run_fk FOREIGN KEY (run_id) REFERENCES pjd_runs (id) ON DELETE CASCADE,
  CONSTRAINT pjd_run_seams_unique UNIQUE (run_id, seam_index)
);

-- Per run, the acquisitions excluded (more than half of their assessed pairs excluded).
-- Indexed by date for the across-projects question "which acquisitions were bad anywhere?".
CREATE TABLE pjd_run_excluded_dates (
  id     INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  date   TEXT NOT NULL CHECK (length(date) = 8),
  CONSTRAINT pjd_run_excluded_dates_run_fk FOREIGN KEY (run_id) REFERENCES pjd_runs (id) ON DELETE CASCADE,
  CONSTRAINT pjd_run_excluded_dates_unique UNIQUE (run_id, date)
);
CREATE INDEX pjd_run_excluded_dates_date ON pjd_run_excluded_dates (date);

-- Make the attribute tables visible to GeoPackage readers (QGIS, ogrinfo).
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) VALUES
  ('pjd_stacks', 'attributes', 'pjd_stacks', 'Stacks known to the catalogue', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  ('pjd_runs', 'attributes', 'pjd_runs', 'Detection runs', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  ('pjd_run_pairs', 'attributes', 'pjd_run_pairs', 'Per-run, per-pair results', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  ('pjd_run_seams', 'attributes', 'pjd_run_seams', 'Per-run seam rows', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  ('pjd_run_excluded_dates', 'attributes', 'pjd_run_excluded_dates', 'Per-run excluded acquisitions', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
