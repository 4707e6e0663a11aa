-- Supervision (督办, issue 13): receipt of a campaign notice (签收) and the
-- chases (催报 / 催办) the issuing org, or a unit over its own units, sends.

-- A unit confirmed it received the campaign's notice. One row per campaign and
-- org: a second confirmation finds the first (the primary key), so a retry
-- changes nothing.
CREATE TABLE campaign_receipts (
    campaign_id     INTEGER NOT NULL REFERENCES campaigns(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    received_by     INTEGER REFERENCES users(id),
    receiver        TEXT    NOT NULL,
    received_at     INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, org_id)
);
CREATE INDEX campaign_receipts_org ON campaign_receipts (org_id);

-- One chase of one unit. `kind` is what is pressed for: 'report' (催报: the
-- summary table) or 'act' (催办: plans, problems, records). A chase of several
-- units in one action shares `batch` (the client's id for that action), so a
-- retried action hits the unique key instead of chasing twice. `from_org_id`
-- is the org that chased (an ancestor of `org_id`); `org_id` owns the row.
CREATE TABLE chases (
    id              INTEGER PRIMARY KEY,
    campaign_id     INTEGER NOT NULL REFERENCES campaigns(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    from_org_id     INTEGER NOT NULL REFERENCES orgs(id),
    kind            TEXT    NOT NULL,
    message         TEXT    NOT NULL DEFAULT '',
    batch           TEXT    NOT NULL,
    sent_by         INTEGER REFERENCES users(id),
    sender          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    CONSTRAINT chases_kind CHECK (kind IN ('report', 'act')),
    CONSTRAINT chases_batch_key UNIQUE (batch, org_id)
);
CREATE INDEX chases_campaign_org ON chases (campaign_id, org_id, created_at);
CREATE INDEX chases_org ON chases (org_id, created_at);
