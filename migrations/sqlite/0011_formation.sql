-- Union formation and membership (建会入会, issue 6 §3).
-- A pipeline per enterprise: flagged by a visit or a cadre → preparing (筹建)
-- → founded (成立, with the new grassroots union in the org tree) or stalled
-- (停滞) and back; dropped closes it without a union. org_id is the org
-- tracking it (scoping). At most one open pipeline per enterprise.

CREATE TABLE formation_pipelines (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    enterprise_id   INTEGER NOT NULL REFERENCES enterprises(id),
    campaign_id     INTEGER REFERENCES campaigns(id),
    activity_id     INTEGER REFERENCES activities(id),
    client_id       TEXT,
    wish            TEXT    NOT NULL,
    stage           TEXT    NOT NULL,
    flagged_on      TEXT    NOT NULL,
    founded_on      TEXT,
    union_org_id    INTEGER REFERENCES orgs(id),
    reason          TEXT,
    created_by      INTEGER REFERENCES users(id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CONSTRAINT formation_pipelines_wish CHECK (wish IN ('no_union', 'wants_union')),
    CONSTRAINT formation_pipelines_stage CHECK (stage IN ('flagged', 'preparing', 'founded', 'stalled', 'dropped')),
    CONSTRAINT formation_pipelines_founded CHECK (
        (stage = 'founded' AND founded_on IS NOT NULL AND union_org_id IS NOT NULL)
        OR (stage <> 'founded' AND founded_on IS NULL AND union_org_id IS NULL)),
    CONSTRAINT formation_pipelines_reason CHECK (
        (stage IN ('stalled', 'dropped') AND reason IS NOT NULL AND reason <> '')
        OR (stage NOT IN ('stalled', 'dropped') AND reason IS NULL)),
    CONSTRAINT formation_pipelines_client UNIQUE (org_id, client_id)
);
CREATE UNIQUE INDEX formation_pipelines_open ON formation_pipelines (enterprise_id)
    WHERE stage IN ('flagged', 'preparing', 'stalled');
CREATE INDEX formation_pipelines_org ON formation_pipelines (org_id, stage);
CREATE INDEX formation_pipelines_campaign ON formation_pipelines (campaign_id);

-- The timeline: every step of every pipeline.
CREATE TABLE formation_events (
    id              INTEGER PRIMARY KEY,
    pipeline_id     INTEGER NOT NULL REFERENCES formation_pipelines(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    user_id         INTEGER REFERENCES users(id),
    actor           TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    from_stage      TEXT,
    to_stage        TEXT    NOT NULL,
    wish            TEXT,
    founded_on      TEXT,
    union_org_id    INTEGER REFERENCES orgs(id),
    reason          TEXT,
    activity_id     INTEGER REFERENCES activities(id),
    created_at      INTEGER NOT NULL
);
CREATE INDEX formation_events_pipeline ON formation_events (pipeline_id, id);

-- Members joined (入会), counted by worker group: recorded by a cadre (a
-- count), or one confirmed application from the public join page.
CREATE TABLE member_joins (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    enterprise_id   INTEGER REFERENCES enterprises(id),
    campaign_id     INTEGER REFERENCES campaigns(id),
    worker_group    TEXT    NOT NULL,
    members         INTEGER NOT NULL,
    joined_on       TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    application_id  INTEGER,
    client_id       TEXT,
    note            TEXT,
    created_by      INTEGER REFERENCES users(id),
    created_at      INTEGER NOT NULL,
    CONSTRAINT member_joins_group CHECK (worker_group IN ('employee', 'truck_driver', 'ride_hailing',
        'courier', 'food_delivery', 'domestic', 'care_worker', 'security_guard', 'mall_clerk',
        'estate_agent', 'other')),
    CONSTRAINT member_joins_members CHECK (members > 0),
    CONSTRAINT member_joins_source CHECK ((source = 'recorded' AND application_id IS NULL)
        OR (source = 'qr' AND application_id IS NOT NULL AND members = 1)),
    CONSTRAINT member_joins_client UNIQUE (org_id, client_id),
    CONSTRAINT member_joins_application UNIQUE (application_id)
);
CREATE INDEX member_joins_org ON member_joins (org_id, joined_on);
CREATE INDEX member_joins_enterprise ON member_joins (enterprise_id);

-- The public join page of a union: /j/{code}, a random code.
CREATE TABLE join_links (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    code            TEXT    NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1,
    created_by      INTEGER REFERENCES users(id),
    created_at      INTEGER NOT NULL,
    CONSTRAINT join_links_org UNIQUE (org_id),
    CONSTRAINT join_links_code UNIQUE (code)
);

-- What a worker sent from the join page; a cadre confirms (it then counts as a
-- member joined) or declines it.
CREATE TABLE join_applications (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    client_id       TEXT    NOT NULL,
    receipt_code    TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    phone           TEXT    NOT NULL,
    worker_group    TEXT    NOT NULL,
    employer        TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending',
    decided_by      INTEGER REFERENCES users(id),
    decided_at      INTEGER,
    reason          TEXT,
    created_at      INTEGER NOT NULL,
    CONSTRAINT join_applications_status CHECK (status IN ('pending', 'confirmed', 'declined')),
    CONSTRAINT join_applications_decided CHECK ((status = 'pending') = (decided_at IS NULL)),
    CONSTRAINT join_applications_client UNIQUE (org_id, client_id),
    CONSTRAINT join_applications_receipt UNIQUE (receipt_code)
);
CREATE INDEX join_applications_org ON join_applications (org_id, status, created_at);
