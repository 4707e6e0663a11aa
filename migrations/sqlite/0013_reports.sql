-- Special reports (专题报告). A report belongs to a campaign (either kind) and
-- to a problem topic or a worker group, is written by an org, and holds its
-- body as JSON: ordered sections of heading, narrative and element specs
-- (charts or tables of a questionnaire's analysis, problem summaries, quotes).
-- Elements are computed live from the records; a version (a named save or a
-- submission) freezes the body together with the computed figures.

CREATE TABLE reports (
    id                  INTEGER PRIMARY KEY,
    org_id              INTEGER NOT NULL REFERENCES orgs(id),
    campaign_id         INTEGER NOT NULL REFERENCES campaigns(id),
    client_id           TEXT    NOT NULL,
    title               TEXT    NOT NULL,
    topic_id            INTEGER REFERENCES topics(id),
    worker_group        TEXT,
    body                TEXT    NOT NULL DEFAULT '{"sections":[]}',
    status              TEXT    NOT NULL DEFAULT 'draft',
    version             INTEGER NOT NULL DEFAULT 0,
    first_submitted_at  INTEGER,
    submitted_at        INTEGER,
    late                INTEGER,
    created_by          INTEGER REFERENCES users(id),
    created_at          INTEGER NOT NULL,
    updated_by          INTEGER REFERENCES users(id),
    updated_at          INTEGER NOT NULL,
    CONSTRAINT reports_client_key UNIQUE (org_id, client_id),
    CONSTRAINT reports_status CHECK (status IN ('draft', 'submitted', 'accepted', 'returned')),
    CONSTRAINT reports_subject CHECK (topic_id IS NOT NULL OR worker_group IS NOT NULL)
);
CREATE INDEX reports_campaign ON reports (campaign_id, org_id, status);
CREATE INDEX reports_org ON reports (org_id);

-- Each named save and each submission: the body and every element's figures
-- as computed then (JSON), its SHA-256, who and when; for submissions, late
-- or not against the campaign's report deadline.
CREATE TABLE report_versions (
    id              INTEGER PRIMARY KEY,
    report_id       INTEGER NOT NULL REFERENCES reports(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    number          INTEGER NOT NULL,
    name            TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    snapshot        TEXT    NOT NULL,
    content_hash    TEXT    NOT NULL,
    created_by      INTEGER REFERENCES users(id),
    author          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    late            INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT report_versions_key UNIQUE (report_id, number),
    CONSTRAINT report_versions_kind CHECK (kind IN ('named', 'submitted'))
);

-- The timeline: created, saved, version, submitted, accepted, returned.
CREATE TABLE report_events (
    id          INTEGER PRIMARY KEY,
    report_id   INTEGER NOT NULL REFERENCES reports(id),
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    kind        TEXT    NOT NULL,
    version     INTEGER,
    reason      TEXT,
    user_id     INTEGER REFERENCES users(id),
    actor       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX report_events_report ON report_events (report_id, id);
