-- pjd catalogue, layout 5: a run that found no seam keeps its burst count of 1; the seam
-- column is named for what it holds.
--
-- Applied with PRAGMA foreign_keys=OFF (pjd turns it off around the upgrade transaction and
-- runs PRAGMA foreign_key_check before committing), so that rebuilding pjd_runs does not
-- cascade deletes into its child tables.

-- 1. pjd_runs.n_burst >= 1 (was >= 2): a robust run that finds no seam reports 1 burst and
-- the catalogue now stores it as found. Rebuilt the SQLite way (new table with every column
-- of layout 4 in the same order, copy, drop, rename, index).
CREATE TABLE pjd_runs_layout5 (
  id               INTEGER PRIMARY KEY,
  stack_id         INTEGER NOT NULL,
  fingerprint      TEXT NOT NULL,             -- the stack's fingerprint at the time of the run
  method           TEXT NOT NULL,             -- 'published', 'robust'
  params_json      TEXT NOT NULL,             -- every parameter, as pjd detect's summary.json has them
  n_burst          INTEGER NOT NULL CHECK (n_burst >= 1),  -- 1: a robust run that found no seam
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
  n_burst_source   TEXT,                      -- layout 3: how the run decided the burst count (robust)
  subswaths_json   TEXT,                      -- layout 4: the run's sub-swaths (robust, merged)
  CONSTRAINT pjd_runs_stack_fk FOREIGN KEY (stack_id) REFERENCES pjd_stacks (id) ON DELETE CASCADE
);
INSERT INTO pjd_runs_layout5 (id, stack_id, fingerprint, method, params_json, n_burst, x0, x1, pj_thr_mm,
                              software_version, started_utc, finished_utc, duration_s, status, warnings_json,
                              n_pairs, n_pairs_reused, summary_path, n_burst_source, subswaths_json)
  SELECT id, stack_id, fingerprint, method, params_json, n_burst, x0, x1, pj_thr_mm,
         software_version, started_utc, finished_utc, duration_s, status, warnings_json,
         n_pairs, n_pairs_reused, summary_path, n_burst_source, subswaths_json
  FROM pjd_runs;
DROP TABLE pjd_runs;
ALTER TABLE pjd_runs_layout5 RENAME TO pjd_runs;
CREATE INDEX pjd_runs_stack ON pjd_runs (stack_id, id);

-- 2. pjd_run_seams.median_jump_mm holds the median over pairs of the seam row's median
-- |azimuth gradient|, which summary.json calls median_grad_mm: now so named here too.
-- (The map layer pjd_seams keeps its field median_jump_mm, as every overlay file and
-- the QGIS style share/styles/seams.qml have it.)
ALTER TABLE pjd_run_seams RENAME COLUMN median_jump_mm TO median_grad_mm;
