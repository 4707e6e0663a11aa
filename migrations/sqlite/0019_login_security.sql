-- Login throttling, the TOTP second factor, password age and the last login
-- (issue 14 §3 and §4).

-- Failed logins counted per key: a client address (its /64 for IPv6), an
-- account name as typed (existing or not, so throttling cannot tell them
-- apart), and an account name from one address. Keys and `account` are
-- SHA-256 hex, so the table never holds what people typed as a name.
CREATE TABLE login_throttle (
    key             TEXT    PRIMARY KEY,
    account         TEXT,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
);
CREATE INDEX login_throttle_account ON login_throttle (account);
CREATE INDEX login_throttle_time ON login_throttle (last_failure_at);

-- A password checked, a second factor still to come: a short-lived token
-- (stored as its hash), not a session.
CREATE TABLE login_challenges (
    token_hash      TEXT    PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE INDEX login_challenges_user ON login_challenges (user_id);

-- One-time recovery codes of a TOTP user, stored as SHA-256 hashes.
CREATE TABLE recovery_codes (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    code_hash       TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    used_at         INTEGER,
    CONSTRAINT recovery_codes_user_hash_key UNIQUE (user_id, code_hash)
);

-- The TOTP secret (base32; NULL: no second factor) and the last time step
-- accepted, so a code is accepted once only.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at INTEGER;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
-- When the password was last set; before this migration the last change of
-- the row is the best (never earlier) estimate.
ALTER TABLE users ADD COLUMN password_changed_at INTEGER NOT NULL DEFAULT 0;
UPDATE users SET password_changed_at = updated_at;
-- This login and the one before it, and the failed attempts between them
-- (`failed_logins` now counts failures since the last successful login).
ALTER TABLE users ADD COLUMN last_login_at INTEGER;
ALTER TABLE users ADD COLUMN last_login_ip TEXT;
ALTER TABLE users ADD COLUMN prev_login_at INTEGER;
ALTER TABLE users ADD COLUMN prev_login_ip TEXT;
ALTER TABLE users ADD COLUMN prev_login_failures INTEGER NOT NULL DEFAULT 0;
-- The per-account lock is replaced by login_throttle.
ALTER TABLE users DROP COLUMN locked_until;
