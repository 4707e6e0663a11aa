-- Backups (issue 14 §1): one row per finished backup run, whether it came from
-- the schedule inside `serve`, the admin page's button or `qingting backup`.
-- A run is recorded when it ends (so an archive never holds its own run as
-- unfinished). Instants are INTEGER epoch seconds (UTC).
CREATE TABLE backup_runs (
    id              INTEGER PRIMARY KEY,
    origin          TEXT    NOT NULL,
    started_at      INTEGER NOT NULL,
    finished_at     INTEGER NOT NULL,
    ok              INTEGER NOT NULL,
    -- The archive's file name (empty when the run failed) and its folder.
    archive         TEXT    NOT NULL DEFAULT '',
    dir             TEXT    NOT NULL DEFAULT '',
    size_bytes      INTEGER NOT NULL DEFAULT 0,
    error           TEXT    NOT NULL DEFAULT '',
    -- When the schedule's `keep` removed the archive.
    pruned_at       INTEGER,
    CONSTRAINT backup_runs_origin CHECK (origin IN ('schedule', 'manual', 'cli')),
    CONSTRAINT backup_runs_ok CHECK (ok IN (0, 1))
);
CREATE INDEX backup_runs_started ON backup_runs (started_at);
