-- pjd catalogue, layout 6: a stored profile is reused only for a pair whose data are
-- unchanged; a stack is "unchanged" only when every pair's data are.
--
-- Before layout 6 a stack's fingerprint sampled one column of its first and last pair, so
-- a stack whose other pairs were rewritten kept its fingerprint, and the next run reused
-- every stored profile. Now each pair has a digest: a 64-bit hash of the bytes the file
-- stores for the pair in unwrapPhase and coherence (16 hex digits; libpjd/src/io/
-- pair_digest.hpp says how it is taken), and the stack's fingerprint covers every pair's
-- digest. Fingerprints recorded before layout 6 are of the old kind and match no stack
-- any more (pjd audit detects each stack once again).

-- The digest of the pair's data the profile was computed from. NULL for profiles stored
-- before layout 6: their data are unknown, so they are never reused (the next run that
-- reads the pair stores its profile again, with its digest).
ALTER TABLE pjd_stack_profiles ADD COLUMN data_digest TEXT CHECK (data_digest IS NULL OR length(data_digest) = 16);
ALTER TABLE pjd_stack_segments ADD COLUMN data_digest TEXT CHECK (data_digest IS NULL OR length(data_digest) = 16);

-- The stack file as stat() saw it when the run's digests were taken ('size=... mtime_ns=...
-- ctime_ns=... ino=... dev=...'): a run whose file still has exactly these is unchanged
-- without reading the file (pjd audit's fast pre-check). NULL before layout 6.
ALTER TABLE pjd_runs ADD COLUMN stack_file_stat TEXT;
CREATE INDEX pjd_runs_fingerprint ON pjd_runs (fingerprint, method);
