-- Files attached to activities, problems, campaigns and implementation plans.
-- The bytes live on disk under <data_dir>/files/, named by their SHA-256 (one
-- copy per content however many records attach it); this table holds who owns
-- each attachment and what it is. org_id is the owning record's org (the
-- recording org of an activity or problem, the issuing org of a campaign, the
-- unit of a plan). A deleted attachment keeps its row (deleted_at) for the
-- audit trail; its file goes when no live row names the hash any more.

CREATE TABLE attachments (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    owner_kind      TEXT    NOT NULL,
    owner_id        INTEGER NOT NULL,
    filename        TEXT    NOT NULL,
    mime            TEXT    NOT NULL,
    size_bytes      INTEGER NOT NULL,
    sha256          TEXT    NOT NULL,
    is_image        INTEGER NOT NULL DEFAULT 0,
    has_thumbnail   INTEGER NOT NULL DEFAULT 0,
    uploaded_by     INTEGER REFERENCES users(id),
    created_at      INTEGER NOT NULL,
    deleted_at      INTEGER,
    CONSTRAINT attachments_owner_kind CHECK (owner_kind IN ('activity', 'problem', 'campaign', 'plan')),
    CONSTRAINT attachments_size CHECK (size_bytes >= 0)
);
CREATE INDEX attachments_owner ON attachments (owner_kind, owner_id, org_id);
CREATE INDEX attachments_hash ON attachments (sha256);
