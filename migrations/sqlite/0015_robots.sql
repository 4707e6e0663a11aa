-- Group robots (群机器人, issue 13 §4): an org's WeCom (企业微信) and DingTalk (钉钉)
-- group robots, the notices queued for them and every attempt to post one.
-- Instants are INTEGER epoch seconds (UTC).

-- One robot per org and platform. The webhook URL carries the robot's key and
-- the DingTalk secret signs each post: both are shown masked and never logged.
-- A removed robot keeps its row (empty webhook, disabled) so its log stays.
CREATE TABLE robots (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    platform        TEXT    NOT NULL,
    webhook         TEXT    NOT NULL DEFAULT '',
    secret          TEXT    NOT NULL DEFAULT '',
    enabled         INTEGER NOT NULL DEFAULT 0,
    updated_by      INTEGER REFERENCES users(id),
    updated_at      INTEGER NOT NULL,
    CONSTRAINT robots_org_platform_key UNIQUE (org_id, platform),
    CONSTRAINT robots_platform CHECK (platform IN ('wecom', 'dingtalk')),
    CONSTRAINT robots_enabled CHECK (enabled IN (0, 1) AND (enabled = 0 OR webhook <> '')),
    CONSTRAINT robots_secret CHECK (platform = 'dingtalk' OR secret = '')
);

-- One notice for one robot. Queued in the transaction that wrote the notice;
-- the unique key (robot, notice dedup key) queues each notice once per robot.
-- The worker claims a row (status 'sending', attempts + 1, next_attempt_at =
-- end of the lease) before posting and marks it 'sent' after; a failure puts
-- it back to 'pending' with a backoff, after max attempts it is 'failed'.
CREATE TABLE robot_deliveries (
    id              INTEGER PRIMARY KEY,
    robot_id        INTEGER NOT NULL REFERENCES robots(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    kind            TEXT    NOT NULL,
    dedup_key       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    link            TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at         INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    CONSTRAINT robot_deliveries_robot_key UNIQUE (robot_id, dedup_key),
    CONSTRAINT robot_deliveries_status CHECK (status IN ('pending', 'sending', 'sent', 'failed'))
);
CREATE INDEX robot_deliveries_due ON robot_deliveries (status, next_attempt_at);
CREATE INDEX robot_deliveries_org ON robot_deliveries (org_id, id);

-- Every attempt to post a delivery: when, the HTTP status (none when the
-- connection failed), the platform's errcode, the error, how long it took.
CREATE TABLE robot_attempts (
    id              INTEGER PRIMARY KEY,
    delivery_id     INTEGER NOT NULL REFERENCES robot_deliveries(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    attempt         INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    http_status     INTEGER,
    errcode         INTEGER,
    error           TEXT,
    duration_ms     INTEGER NOT NULL
);
CREATE INDEX robot_attempts_delivery ON robot_attempts (delivery_id, id);
CREATE INDEX robot_attempts_org ON robot_attempts (org_id, id);
