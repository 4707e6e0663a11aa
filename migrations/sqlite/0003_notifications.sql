-- Reminders and calendar: in-app notifications, the e-mail outbox, calendar
-- feed tokens and the admin-uploaded working-day calendar.
-- Instants are INTEGER epoch seconds (UTC); calendar dates TEXT 'YYYY-MM-DD'.

-- One notice for one user. kind + args (a JSON object of strings) are rendered
-- from the catalogue in the reader's language when shown. dedup_key names the
-- event (e.g. 'due:problem:42:2019-11-15'): the unique key makes every rule fire
-- at most once per user, however often the sweep runs.
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    kind            TEXT    NOT NULL,
    args            TEXT    NOT NULL DEFAULT '{}',
    link            TEXT    NOT NULL,
    dedup_key       TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    read_at         INTEGER,
    CONSTRAINT notifications_user_dedup_key UNIQUE (user_id, dedup_key)
);
CREATE INDEX notifications_user ON notifications (user_id, id);

-- E-mail waiting to be sent. A row is claimed (status 'sending', attempts + 1,
-- next_attempt_at = end of the lease) in one transaction before the SMTP call
-- and marked 'sent' after it; a failure puts it back to 'pending' with a
-- backoff; after max attempts it is 'failed'. A lease that runs out (the
-- process died mid-send) makes the row claimable again.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    notification_id INTEGER REFERENCES notifications(id),
    user_id         INTEGER REFERENCES users(id),
    to_address      TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    link            TEXT,
    dedup_key       TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at         INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    CONSTRAINT outbox_dedup_key UNIQUE (dedup_key),
    CONSTRAINT outbox_status CHECK (status IN ('pending', 'sending', 'sent', 'failed'))
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- A calendar feed token, stored as its SHA-256; revoked tokens stay for the record.
CREATE TABLE calendar_tokens (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    token_hash      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER,
    CONSTRAINT calendar_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX calendar_tokens_user ON calendar_tokens (user_id);

-- Working-day calendars uploaded by an admin; the newest row is in force, none
-- means the file built into the binary.
CREATE TABLE workday_calendars (
    id              INTEGER PRIMARY KEY,
    body            TEXT    NOT NULL,
    uploaded_by     INTEGER REFERENCES users(id),
    created_at      INTEGER NOT NULL
);
