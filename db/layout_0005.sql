-- pjd catalogue, layout 5: a run that found no seam keeps its burst count of 1; the seam
-- column is named for what it holds; the map layers are part of the layout.
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
-- (The map layer pjd_seams below keeps its field median_jump_mm, as every overlay file and
-- the QGIS style share/styles/seams.qml have it.)
ALTER TABLE pjd_run_seams RENAME COLUMN median_jump_mm TO median_grad_mm;

-- 3. The map layers: GeoPackage feature tables (EPSG:4326) that pjd detect, pjd audit and
-- pjd overlay --catalog fill with each run's features (pjd::add_overlay_to_catalog, which
-- writes features only). Declared as GDAL 3.6 declares a layer it creates itself (same
-- column types, so MEDIUMINT reads back as a 32-bit integer field; the same R-tree spatial
-- index and feature-count bookkeeping), so GDAL and QGIS open them as before.
-- Fields in the order of the overlay files' layers (share/docs/overlay.md).
-- Before layout 5 these layers were made by GDAL on the first overlay: IF NOT EXISTS and
-- OR IGNORE keep those as they are. (Layers made before layout 4 lack the subswath field of
-- pjd_seams and pjd_bursts: pjd adds it to them before applying this file.)
CREATE TABLE IF NOT EXISTS "pjd_seams" (
  "fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  "geom" MULTILINESTRING,
  "stack" TEXT,
  "run" TEXT,                 -- pjd_runs.id, as text
  "seam_index" MEDIUMINT,     -- 1-based
  "row" MEDIUMINT,
  "votes" MEDIUMINT,
  "median_jump_mm" REAL,      -- = pjd_run_seams.median_grad_mm
  "n_pairs_above_thr" MEDIUMINT,
  "method" TEXT,
  "subswath" TEXT
);
CREATE TABLE IF NOT EXISTS "pjd_bursts" (
  "fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  "geom" POLYGON,
  "stack" TEXT,
  "run" TEXT,
  "burst_index" MEDIUMINT,
  "row_first" MEDIUMINT,
  "row_last" MEDIUMINT,
  "n_rows" MEDIUMINT,
  "subswath" TEXT
);
CREATE TABLE IF NOT EXISTS "pjd_footprint" (
  "fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  "geom" POLYGON,
  "stack" TEXT,
  "run" TEXT,
  "length" MEDIUMINT,
  "width" MEDIUMINT,
  "x0" MEDIUMINT,
  "x1" MEDIUMINT,
  "orbit_direction" TEXT
);

-- Extent (min_x ... max_y) left NULL: GDAL fills it in as features are written.
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id) VALUES
  ('pjd_seams', 'features', 'pjd_seams', 'pjd seams of every run', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 4326),
  ('pjd_bursts', 'features', 'pjd_bursts', 'pjd bursts of every run', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 4326),
  ('pjd_footprint', 'features', 'pjd_footprint', 'pjd footprint of every run', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 4326);
INSERT OR IGNORE INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) VALUES
  ('pjd_seams', 'geom', 'MULTILINESTRING', 4326, 0, 0),
  ('pjd_bursts', 'geom', 'POLYGON', 4326, 0, 0),
  ('pjd_footprint', 'geom', 'POLYGON', 4326, 0, 0);

-- GDAL's feature counts (gpkg_ogr_contents, made by GDAL with the file) kept by triggers.
CREATE TABLE IF NOT EXISTS gpkg_ogr_contents (table_name TEXT NOT NULL PRIMARY KEY, feature_count INTEGER DEFAULT NULL);
INSERT OR IGNORE INTO gpkg_ogr_contents (table_name, feature_count) VALUES
  ('pjd_seams', 0), ('pjd_bursts', 0), ('pjd_footprint', 0);
CREATE TRIGGER IF NOT EXISTS "trigger_insert_feature_count_pjd_seams" AFTER INSERT ON "pjd_seams" BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count + 1 WHERE lower(table_name) = lower('pjd_seams'); END;
CREATE TRIGGER IF NOT EXISTS "trigger_delete_feature_count_pjd_seams" AFTER DELETE ON "pjd_seams" BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count - 1 WHERE lower(table_name) = lower('pjd_seams'); END;
CREATE TRIGGER IF NOT EXISTS "trigger_insert_feature_count_pjd_bursts" AFTER INSERT ON "pjd_bursts" BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count + 1 WHERE lower(table_name) = lower('pjd_bursts'); END;
CREATE TRIGGER IF NOT EXISTS "trigger_delete_feature_count_pjd_bursts" AFTER DELETE ON "pjd_bursts" BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count - 1 WHERE lower(table_name) = lower('pjd_bursts'); END;
CREATE TRIGGER IF NOT EXISTS "trigger_insert_feature_count_pjd_footprint" AFTER INSERT ON "pjd_footprint" BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count + 1 WHERE lower(table_name) = lower('pjd_footprint'); END;
CREATE TRIGGER IF NOT EXISTS "trigger_delete_feature_count_pjd_footprint" AFTER DELETE ON "pjd_footprint" BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count - 1 WHERE lower(table_name) = lower('pjd_footprint'); END;

-- The R-tree spatial index of each layer (GeoPackage extension gpkg_rtree_index). Its
-- insert/update triggers call ST_* functions that GDAL provides on its own connections: the
-- layers are written through GDAL (pjd's own connection never writes them).
CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
  definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
INSERT OR IGNORE INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES
  ('pjd_seams', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only'),
  ('pjd_bursts', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only'),
  ('pjd_footprint', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
CREATE VIRTUAL TABLE IF NOT EXISTS "rtree_pjd_seams_geom" USING rtree(id, minx, maxx, miny, maxy);
CREATE VIRTUAL TABLE IF NOT EXISTS "rtree_pjd_bursts_geom" USING rtree(id, minx, maxx, miny, maxy);
CREATE VIRTUAL TABLE IF NOT EXISTS "rtree_pjd_footprint_geom" USING rtree(id, minx, maxx, miny, maxy);

CREATE TRIGGER IF NOT EXISTS "rtree_pjd_seams_geom_insert" AFTER INSERT ON "pjd_seams" WHEN (new."geom" NOT NULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN INSERT OR REPLACE INTO "rtree_pjd_seams_geom" VALUES (NEW."fid",ST_MinX(NEW."geom"), ST_MaxX(NEW."geom"),ST_MinY(NEW."geom"), ST_MaxY(NEW."geom")); END;
CREATE TRIGGER IF NOT EXISTS "rtree_pjd_seams_geom_update1" AFTER UPDATE OF "geom" ON "pjd_seams" WHEN OLD."fid" = NEW."fid" AND (NEW."geom" NOTNULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN INSERT OR REPLACE INTO "rtree_pjd_seams_geom" VALUES (NEW."fid",ST_MinX(NEW."geom"), ST_MaxX(NEW."geom"),ST_MinY(NEW."geom"), ST_MaxY(NEW."geom")); END;
CREATE TRIGGER IF NOT EXISTS "rtree_pjd_seams_geom_update2" AFTER UPDATE OF "geom" ON "pjd_seams" WHEN OLD."fid" = NEW."fid" AND (NEW."geom" ISNULL OR ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM "rtree_pjd_seams_geom" WHERE id = OLD."fid"; END;
CREATE TRIGGER IF NOT EXISTS "rtree_pjd_seams_geom_update3" AFTER UPDATE ON "pjd_seams" WHEN OLD."fid" != NEW."fid" AND (NEW."geom" NOTNULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM "rtree_pjd_seams_geom" WHERE id = OLD."fid"; INSERT OR REPLACE INTO "rtree_pjd_seams_geom" VALUES (NEW."fid",ST_MinX(NEW."geom"), ST_MaxX(NEW."geom"),ST_MinY(NEW."geom"), ST_MaxY(NEW."geom")); END;
CREATE TRIGGER IF NOT EXISTS "rtree_pjd_seams_geom_update4" AFTER UPDATE ON "pjd_seams" WHEN OLD."fid" != NEW."fid" AND (NEW."geom" ISNULL OR ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM "rtree_pjd_seams_geom" WHERE id IN (OLD."fid", NEW."fid"); END;
CREATE TRIGGER IF NOT EXISTS "rtree_pjd_seams_geom_delete" AFTER DELETE ON "pjd_seams" WHEN old."geom" NOT NULL BEGIN DELETE FROM "rtree_pjd_seams_geom" WHERE id = OLD."fid"; END;

CREATE TRIGGER IF NOT EXISTS "rtree_pjd_bursts_geom_insert" AFTER INSERT ON "pjd_bursts" WHEN (new."geom" NOT NULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN INSERT OR REPLACE INTO "rtree_pjd_bursts_geom" VALUES (NEW."fid",ST_MinX(NEW."geom"), ST_MaxX(NEW."geom"),ST_MinY(NEW."geom"), ST_MaxY(NEW."geom")); END;
CREATE TRIGGER IF NOT EXISTS "rtree_pjd_bursts_geom_update1" AFTER UPDATE OF "geom" ON "pjd_bursts" WHEN OLD."fid" = NEW."fid" AND (NEW."geom" NOTNULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN INSERT OR REPLACE INTO "rtree_pjd_bursts_geom" VALUES (NEW."fid",ST_MinX(NEW."geom"), ST_MaxX(NEW."geom"),ST_MinY(NEW."geom"), ST_MaxY(NEW."geom")); END;
CREATE TRIGGER IF NOT EXISTS "rtree_pjd_bursts_geom_update2" AFTER UPDATE OF "geom" ON "pjd_bursts" WHEN OLD."fid" = NEW."fid" AND (NEW."geom" ISNULL OR ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM "rtree_pjd_bursts_geom" WHERE id = OLD."fid"; END;
CREATE TRIGGER IF NOT EXISTS "rtree_pjd_bursts_geom_update3" AFTER UPDATE ON "pjd_bursts" WHEN OLD."fid" != NEW."fid" AND (NEW."geom" NOTNULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM "rtree_pjd_bursts_geom" WHERE id = OLD."fid"; INSERT OR REPLACE INTO "rtree_pjd_bursts_geom" VALUES (NEW."fid",ST_MinX(NEW."geom"), ST_MaxX(NEW."geom"),ST_MinY(NEW."geom"), ST_MaxY(NEW."geom")); END;
CREATE TRIGGER IF NOT EXISTS "rtree_pjd_bursts_geom_update4" AFTER UPDATE ON "pjd_bursts" WHEN OLD."fid" != NEW."fid" AND (NEW."geom" ISNULL OR ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM "rtree_pjd_bursts_geom" WHERE id IN (OLD."fid", NEW."fid"); END;
CREATE TRIGGER IF NOT EXISTS "rtree_pjd_bursts_geom_delete" AFTER DELETE ON "pjd_bursts" WHEN old."geom" NOT NULL BEGIN DELETE FROM "rtree_pjd_bursts_geom" WHERE id = OLD."fid"; END;

CREATE TRIGGER IF NOT EXISTS "rtree_pjd_footprint_geom_insert" AFTER INSERT ON "pjd_footprint" WHEN (new."geom" NOT NULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN INSERT OR REPLACE INTO "rtree_pjd_footprint_geom" VALUES (NEW."fid",ST_MinX(NEW."geom"), ST_MaxX(NEW."geom"),ST_MinY(NEW."geom"), ST_MaxY(NEW."geom")); END;
CREATE TRIGGER IF NOT EXISTS "rtree_pjd_footprint_geom_update1" AFTER UPDATE OF "geom" ON "pjd_footprint" WHEN OLD."fid" = NEW."fid" AND (NEW."geom" NOTNULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN INSERT OR REPLACE INTO "rtree_pjd_footprint_geom" VALUES (NEW."fid",ST_MinX(NEW."geom"), ST_MaxX(NEW."geom"),ST_MinY(NEW."geom"), ST_MaxY(NEW."geom")); END;
CREATE TRIGGER IF NOT EXISTS "rtree_pjd_footprint_geom_update2" AFTER UPDATE OF "geom" ON "pjd_footprint" WHEN OLD."fid" = NEW."fid" AND (NEW."geom" ISNULL OR ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM "rtree_pjd_footprint_geom" WHERE id = OLD."fid"; END;
CREATE TRIGGER IF NOT EXISTS "rtree_pjd_footprint_geom_update3" AFTER UPDATE ON "pjd_footprint" WHEN OLD."fid" != NEW."fid" AND (NEW."geom" NOTNULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM "rtree_pjd_footprint_geom" WHERE id = OLD."fid"; INSERT OR REPLACE INTO "rtree_pjd_footprint_geom" VALUES (NEW."fid",ST_MinX(NEW."geom"), ST_MaxX(NEW."geom"),ST_MinY(NEW."geom"), ST_MaxY(NEW."geom")); END;
CREATE TRIGGER IF NOT EXISTS "rtree_pjd_footprint_geom_update4" AFTER UPDATE ON "pjd_footprint" WHEN OLD."fid" != NEW."fid" AND (NEW."geom" ISNULL OR ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM "rtree_pjd_footprint_geom" WHERE id IN (OLD."fid", NEW."fid"); END;
CREATE TRIGGER IF NOT EXISTS "rtree_pjd_footprint_geom_delete" AFTER DELETE ON "pjd_footprint" WHEN old."geom" NOT NULL BEGIN DELETE FROM "rtree_pjd_footprint_geom" WHERE id = OLD."fid"; END;
