-- Foundation: organisation tree, enterprises, people, sessions, tokens, audit.
-- Flags are INTEGER 0/1 and timestamps INTEGER epoch seconds (UTC) so that the
-- same queries decode identically on SQLite and PostgreSQL.

CREATE TABLE orgs (
    id              INTEGER PRIMARY KEY,
    code            TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    short_name      TEXT,
    kind            TEXT    NOT NULL,
    parent_id       INTEGER REFERENCES orgs(id),
    contact_person  TEXT,
    phone           TEXT,
    email           TEXT,
    address         TEXT,
    display_order   INTEGER NOT NULL DEFAULT 0,
    sort_key        TEXT    NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CONSTRAINT orgs_code_key UNIQUE (code)
);
CREATE INDEX orgs_parent_order ON orgs (parent_id, display_order, sort_key);

-- Closure table: one row per (ancestor, descendant) pair including (self, self).
CREATE TABLE org_tree (
    ancestor_id     INTEGER NOT NULL REFERENCES orgs(id),
    descendant_id   INTEGER NOT NULL REFERENCES orgs(id),
    depth           INTEGER NOT NULL,
    PRIMARY KEY (ancestor_id, descendant_id)
);
CREATE INDEX org_tree_descendant ON org_tree (descendant_id, depth);

CREATE TABLE enterprises (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    name            TEXT    NOT NULL,
    credit_code     TEXT    NOT NULL,
    industry        TEXT,
    address         TEXT,
    employee_count  INTEGER,
    new_form_groups TEXT    NOT NULL DEFAULT '',
    has_union       INTEGER NOT NULL DEFAULT 0,
    union_org_id    INTEGER REFERENCES orgs(id),
    contact_person  TEXT,
    contact_phone   TEXT,
    sort_key        TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CONSTRAINT enterprises_credit_code_key UNIQUE (credit_code),
    CONSTRAINT enterprises_union_needs_flag CHECK (union_org_id IS NULL OR has_union = 1)
);
CREATE INDEX enterprises_org ON enterprises (org_id, sort_key);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    username        TEXT    NOT NULL,
    display_name    TEXT    NOT NULL,
    phone           TEXT,
    email           TEXT,
    password_hash   TEXT    NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CONSTRAINT users_username_key UNIQUE (username)
);
CREATE INDEX users_org ON users (org_id);

CREATE TABLE role_grants (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    role            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    CONSTRAINT role_grants_user_org_role_key UNIQUE (user_id, org_id, role)
);
CREATE INDEX role_grants_org ON role_grants (org_id);

CREATE TABLE sessions (
    token_hash      TEXT    PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    name            TEXT    NOT NULL,
    token_hash      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER,
    revoked_at      INTEGER,
    CONSTRAINT api_tokens_hash_key UNIQUE (token_hash)
);

CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER REFERENCES orgs(id),
    user_id         INTEGER REFERENCES users(id),
    username        TEXT,
    action          TEXT    NOT NULL,
    target          TEXT,
    detail          TEXT,
    ip              TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX audit_log_org_time ON audit_log (org_id, created_at);
CREATE INDEX audit_log_time ON audit_log (created_at);

-- The audit log is append-only: the database itself refuses edits.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- An uploaded file between preview and commit.
CREATE TABLE pending_imports (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    user_id         INTEGER NOT NULL REFERENCES users(id),
    kind            TEXT    NOT NULL,
    filename        TEXT    NOT NULL,
    content         BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    committed_at    INTEGER
);
