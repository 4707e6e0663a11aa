-- Webhooks (issue 15 §3): admins of an org subscribe a URL to events of the
-- org's subtree. Writes put each event into an outbox in their own
-- transaction; the worker in `serve` fans each event out to the matching
-- subscriptions (one delivery each) and POSTs them, signed, with retries.
-- Instants are INTEGER epoch seconds (UTC).

-- One subscription. The secret signs every body (HMAC-SHA256), so it is kept
-- as it is (shown once, at creation and rotation). `failures` counts failed
-- attempts in a row; past the limit the worker turns the subscription off
-- (`disabled_reason` 'failures'); an admin turning it off writes 'admin'.
CREATE TABLE webhook_subscriptions (
    id                INTEGER PRIMARY KEY,
    org_id            INTEGER NOT NULL REFERENCES orgs(id),
    url               TEXT    NOT NULL,
    secret            TEXT    NOT NULL,
    active            INTEGER NOT NULL DEFAULT 1,
    failures          INTEGER NOT NULL DEFAULT 0,
    disabled_reason   TEXT,
    disabled_at       INTEGER,
    created_by        INTEGER NOT NULL REFERENCES users(id),
    created_at        INTEGER NOT NULL,
    updated_by        INTEGER NOT NULL REFERENCES users(id),
    updated_at        INTEGER NOT NULL,
    secret_rotated_at INTEGER NOT NULL,
    CONSTRAINT webhook_subscriptions_active CHECK (active IN (0, 1)),
    CONSTRAINT webhook_subscriptions_failures CHECK (failures >= 0),
    CONSTRAINT webhook_subscriptions_disabled CHECK (
        (active = 1 AND disabled_reason IS NULL)
        OR (active = 0 AND disabled_reason IN ('admin', 'failures')))
);
CREATE INDEX webhook_subscriptions_org ON webhook_subscriptions (org_id);

-- The events a subscription wants, by stored code.
CREATE TABLE webhook_subscription_events (
    subscription_id   INTEGER NOT NULL REFERENCES webhook_subscriptions(id),
    event             TEXT    NOT NULL,
    PRIMARY KEY (subscription_id, event),
    CONSTRAINT webhook_subscription_events_event CHECK (event IN (
        'problem.recorded', 'problem.decided', 'problem.escalated', 'problem.fed_back', 'summary.submitted', 'summary.returned', 'summary.accepted', 'survey.response_stored', 'mediation.state_changed', 'formation.union_founded'))
);
CREATE INDEX webhook_subscription_events_event ON webhook_subscription_events (event, subscription_id);

-- Events waiting to be fanned out (fanned_out_at NULL) and, after, the body
-- their deliveries post: the record as JSON and the path of its page. `ping`
-- rows are a subscription's test events, fanned out when written.
CREATE TABLE webhook_outbox (
    id                INTEGER PRIMARY KEY,
    event             TEXT    NOT NULL,
    org_id            INTEGER NOT NULL REFERENCES orgs(id),
    record            TEXT    NOT NULL,
    link              TEXT    NOT NULL,
    occurred_at       INTEGER NOT NULL,
    fanned_out_at     INTEGER,
    CONSTRAINT webhook_outbox_event CHECK (event IN (
        'ping', 'problem.recorded', 'problem.decided', 'problem.escalated', 'problem.fed_back', 'summary.submitted', 'summary.returned', 'summary.accepted', 'survey.response_stored', 'mediation.state_changed', 'formation.union_founded'))
);
CREATE INDEX webhook_outbox_waiting ON webhook_outbox (fanned_out_at, id);

-- One event for one subscription. The worker claims a row (status 'sending',
-- attempts + 1, next_attempt_at = end of the lease) before posting; success
-- makes it 'delivered', a failure puts it back to 'pending' after the next
-- wait of the retry schedule, or 'failed' after the last. A redelivery is a
-- new row naming the one it repeats.
CREATE TABLE webhook_deliveries (
    id                INTEGER PRIMARY KEY,
    subscription_id   INTEGER NOT NULL REFERENCES webhook_subscriptions(id),
    outbox_id         INTEGER NOT NULL REFERENCES webhook_outbox(id),
    status            TEXT    NOT NULL DEFAULT 'pending',
    attempts          INTEGER NOT NULL DEFAULT 0,
    retry             INTEGER NOT NULL DEFAULT 1,
    next_attempt_at   INTEGER NOT NULL,
    delivered_at      INTEGER,
    redelivery_of     INTEGER REFERENCES webhook_deliveries(id),
    created_at        INTEGER NOT NULL,
    CONSTRAINT webhook_deliveries_status CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    CONSTRAINT webhook_deliveries_retry CHECK (retry IN (0, 1))
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id);

-- Every attempt to post a delivery: when, the HTTP status (none when no
-- answer came), the first 2 KB of the answer or the error, how long it took.
CREATE TABLE webhook_attempts (
    id                INTEGER PRIMARY KEY,
    delivery_id       INTEGER NOT NULL REFERENCES webhook_deliveries(id),
    subscription_id   INTEGER NOT NULL REFERENCES webhook_subscriptions(id),
    attempt           INTEGER NOT NULL,
    at                INTEGER NOT NULL,
    http_status       INTEGER,
    response          TEXT,
    error             TEXT,
    duration_ms       INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
CREATE INDEX webhook_attempts_subscription ON webhook_attempts (subscription_id, id);
