-- Sessions a person can see and end (issue 14 §4): a non-secret id to name a
-- session by (the token hash never leaves the server), and the client address
-- and user agent at creation and when last seen. SQLite cannot add a primary
-- key to a table, so the table is rebuilt; live sessions are kept.
CREATE TABLE sessions_new (
    id              INTEGER PRIMARY KEY,
    token_hash      TEXT    NOT NULL UNIQUE,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    created_ip      TEXT,
    created_agent   TEXT,
    last_ip         TEXT,
    last_agent      TEXT
);
INSERT INTO sessions_new (token_hash, user_id, org_id, created_at, last_seen_at, expires_at)
    SELECT token_hash, user_id, org_id, created_at, last_seen_at, expires_at FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Audit retention. The log stays append-only, except that rows older than the
-- retention recorded here may be deleted (the daily purge). The database holds
-- the floor itself: keep_days below 180 (six months) is refused, and so is
-- deleting this row, so no statement sent through the application's account
-- can remove an entry younger than six months.
CREATE TABLE audit_policy (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    keep_days       INTEGER NOT NULL CHECK (keep_days >= 180),
    updated_at      INTEGER NOT NULL
);
INSERT INTO audit_policy (id, keep_days, updated_at) VALUES (1, 180, 0);
CREATE TRIGGER audit_policy_no_delete BEFORE DELETE ON audit_policy
BEGIN SELECT RAISE(ABORT, 'audit_policy cannot be deleted'); END;

DROP TRIGGER audit_log_no_delete;
-- A missing policy (impossible while the trigger above stands) would read as
-- "keep forever": COALESCE never lets NULL open the log.
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.created_at >= CAST(strftime('%s', 'now') AS INTEGER)
    - COALESCE((SELECT keep_days FROM audit_policy WHERE id = 1), 1000000) * 86400
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: entries younger than the retention cannot be deleted'); END;
