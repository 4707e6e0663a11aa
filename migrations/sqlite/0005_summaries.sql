-- Summary tables (情况汇总表). The figures are never stored while a unit drafts:
-- they are computed from the records whenever the table is opened. What the
-- unit decides (main problems and their order, overridden figures with their
-- reasons, remarks) is kept in `choices` (JSON). A submission freezes the whole
-- table in summary_versions: contents, content hash, who, when, late or not,
-- and the issuing org's decision on that version.

CREATE TABLE summaries (
    id                  INTEGER PRIMARY KEY,
    campaign_id         INTEGER NOT NULL REFERENCES campaigns(id),
    org_id              INTEGER NOT NULL REFERENCES orgs(id),
    status              TEXT    NOT NULL DEFAULT 'draft',
    version             INTEGER NOT NULL DEFAULT 0,
    choices             TEXT    NOT NULL DEFAULT '{}',
    first_submitted_at  INTEGER,
    updated_by          INTEGER REFERENCES users(id),
    updated_at          INTEGER NOT NULL,
    CONSTRAINT summaries_unit_key UNIQUE (campaign_id, org_id),
    CONSTRAINT summaries_status CHECK (status IN ('draft', 'submitted', 'accepted', 'returned'))
);
CREATE INDEX summaries_org ON summaries (org_id);

CREATE TABLE summary_versions (
    id              INTEGER PRIMARY KEY,
    summary_id      INTEGER NOT NULL REFERENCES summaries(id),
    campaign_id     INTEGER NOT NULL REFERENCES campaigns(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    version         INTEGER NOT NULL,
    snapshot        TEXT    NOT NULL,
    content_hash    TEXT    NOT NULL,
    submitted_by    INTEGER REFERENCES users(id),
    submitter       TEXT    NOT NULL,
    submitted_at    INTEGER NOT NULL,
    late            INTEGER NOT NULL DEFAULT 0,
    decision        TEXT,
    decided_by      INTEGER REFERENCES users(id),
    decider         TEXT,
    decided_at      INTEGER,
    reasons         TEXT,
    CONSTRAINT summary_versions_key UNIQUE (summary_id, version),
    CONSTRAINT summary_versions_decision CHECK (decision IS NULL OR decision IN ('accepted', 'returned'))
);
CREATE INDEX summary_versions_campaign ON summary_versions (campaign_id, org_id);

-- The figures of the summary tables are aggregated per org from these
-- covering indexes (the table rows are not read): problems by owner with
-- source and outcome, the most recent per owner and source, escalated ones
-- by recorder, activities with their counts.
CREATE INDEX problems_summary_owner ON problems (campaign_id, owner_org_id, source, state, outcome, is_main);
CREATE INDEX problems_summary_recent ON problems (campaign_id, owner_org_id, source, created_at);
CREATE INDEX problems_summary_escalated ON problems (campaign_id, escalated, org_id, owner_org_id);
CREATE INDEX activities_summary ON activities (campaign_id, org_id, kind, workers_interviewed, participants);
