-- Services (办实事, issue 6 §4): practical things done for workers — who did
-- it (org_id, the cadres), for whom, what, how much (integer fen), when;
-- optionally within a campaign and as the record of a service activity.

CREATE TABLE services (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    client_id       TEXT    NOT NULL,
    campaign_id     INTEGER REFERENCES campaigns(id),
    activity_id     INTEGER REFERENCES activities(id),
    kind            TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    cadres          TEXT    NOT NULL DEFAULT '',
    beneficiary     TEXT    NOT NULL,
    worker_group    TEXT,
    workers         INTEGER NOT NULL,
    amount_fen      INTEGER NOT NULL DEFAULT 0,
    served_on       TEXT    NOT NULL,
    created_by      INTEGER REFERENCES users(id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CONSTRAINT services_kind CHECK (kind IN ('hardship', 'competition', 'culture', 'legal_aid',
        'condolence', 'other')),
    CONSTRAINT services_group CHECK (worker_group IS NULL OR worker_group IN ('employee', 'truck_driver',
        'ride_hailing', 'courier', 'food_delivery', 'domestic', 'care_worker', 'security_guard',
        'mall_clerk', 'estate_agent', 'other')),
    CONSTRAINT services_workers CHECK (workers >= 0),
    CONSTRAINT services_amount CHECK (amount_fen >= 0),
    CONSTRAINT services_client UNIQUE (org_id, client_id)
);
CREATE INDEX services_org ON services (org_id, served_on);
CREATE INDEX services_campaign ON services (campaign_id);
CREATE INDEX services_activity ON services (activity_id);
