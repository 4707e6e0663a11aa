-- Labour-dispute mediation cases (劳动争议调解, 劳动争议调解仲裁法 Arts. 10-16).
-- A case belongs to the org that received it (org_id). intake/applied_on/oral_*
-- hold mediation::Intake; state and the outcome columns hold
-- mediation::lifecycle::State. The CHECKs refuse every column combination those
-- enums cannot produce. Money is INTEGER fen (1 yuan = 100 fen); dates are TEXT
-- 'YYYY-MM-DD' (China Standard Time), instants INTEGER epoch seconds.
CREATE TABLE mediation_cases (
    id                  INTEGER PRIMARY KEY,
    client_id           TEXT    NOT NULL,
    org_id              INTEGER NOT NULL REFERENCES orgs(id),
    campaign_id         INTEGER REFERENCES campaigns(id),
    problem_id          INTEGER REFERENCES problems(id),
    intake              TEXT    NOT NULL,
    applied_on          TEXT,
    oral_applicant      TEXT,
    oral_reasons        TEXT,
    oral_recorded_at    INTEGER,
    dispute_type        TEXT    NOT NULL,
    matter              TEXT    NOT NULL,
    claims              TEXT,
    amount_fen          INTEGER NOT NULL DEFAULT 0,
    employer_enterprise_id INTEGER REFERENCES enterprises(id),
    employer_name       TEXT    NOT NULL,
    committee_org_id    INTEGER NOT NULL REFERENCES orgs(id),
    committee_name      TEXT    NOT NULL,
    mediator            TEXT    NOT NULL,
    received_on         TEXT    NOT NULL,
    started_on          TEXT,
    state               TEXT    NOT NULL DEFAULT 'received',
    concluded_on        TEXT,
    outcome_reason      TEXT,
    agreement_terms     TEXT,
    agreed_fen          INTEGER,
    signed_workers      INTEGER NOT NULL DEFAULT 0,
    signed_employer     INTEGER NOT NULL DEFAULT 0,
    signed_mediator     INTEGER NOT NULL DEFAULT 0,
    sealed              INTEGER NOT NULL DEFAULT 0,
    recovered_fen       INTEGER,
    recovered_on        TEXT,
    created_by          INTEGER REFERENCES users(id),
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    CONSTRAINT mediation_cases_client_key UNIQUE (org_id, client_id),
    CONSTRAINT mediation_cases_problem_key UNIQUE (problem_id),
    CONSTRAINT mediation_intake CHECK (
        (intake = 'written' AND applied_on IS NOT NULL AND oral_applicant IS NULL
            AND oral_reasons IS NULL AND oral_recorded_at IS NULL)
        OR (intake = 'oral' AND applied_on IS NULL AND oral_applicant IS NOT NULL
            AND oral_reasons IS NOT NULL AND oral_recorded_at IS NOT NULL)),
    CONSTRAINT mediation_dispute_type CHECK (dispute_type IN
        ('wage_arrears', 'labour_contract', 'work_injury', 'social_insurance', 'dismissal', 'other')),
    CONSTRAINT mediation_amounts CHECK (amount_fen >= 0 AND (agreed_fen IS NULL OR agreed_fen >= 0)
        AND (recovered_fen IS NULL OR recovered_fen >= 0)),
    CONSTRAINT mediation_state CHECK (state IN
        ('received', 'mediating', 'agreed', 'no_agreement', 'withdrawn', 'arbitration')),
    CONSTRAINT mediation_open_has_no_outcome CHECK (
        (state IN ('received', 'mediating') AND concluded_on IS NULL AND outcome_reason IS NULL)
        OR (state NOT IN ('received', 'mediating') AND concluded_on IS NOT NULL)),
    CONSTRAINT mediation_no_agreement_reason CHECK (state <> 'no_agreement' OR outcome_reason IS NOT NULL),
    CONSTRAINT mediation_agreement CHECK (
        (state = 'agreed' AND agreement_terms IS NOT NULL AND agreed_fen IS NOT NULL AND outcome_reason IS NULL)
        OR (state <> 'agreed' AND agreement_terms IS NULL AND agreed_fen IS NULL
            AND signed_workers = 0 AND signed_employer = 0 AND signed_mediator = 0 AND sealed = 0)),
    CONSTRAINT mediation_flags CHECK (signed_workers IN (0, 1) AND signed_employer IN (0, 1)
        AND signed_mediator IN (0, 1) AND sealed IN (0, 1)),
    CONSTRAINT mediation_recovery CHECK (
        (recovered_fen IS NULL AND recovered_on IS NULL)
        OR (recovered_fen IS NOT NULL AND recovered_on IS NOT NULL AND state = 'agreed'
            AND signed_workers = 1 AND signed_employer = 1 AND signed_mediator = 1 AND sealed = 1))
);
CREATE INDEX mediation_cases_org ON mediation_cases (org_id, received_on);
CREATE INDEX mediation_cases_campaign ON mediation_cases (campaign_id, org_id);
CREATE INDEX mediation_cases_state ON mediation_cases (state, received_on);

-- The workers applying (one or more), in the order given. Personal data: shown
-- masked unless the reader's role needs it, and every unmasked view audited.
CREATE TABLE mediation_parties (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER NOT NULL REFERENCES mediation_cases(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    position        INTEGER NOT NULL,
    name            TEXT    NOT NULL,
    phone           TEXT,
    CONSTRAINT mediation_parties_position UNIQUE (case_id, position)
);

-- The timeline: every step, who, when, the day it concerns and the detail.
CREATE TABLE mediation_events (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER NOT NULL REFERENCES mediation_cases(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    user_id         INTEGER REFERENCES users(id),
    actor           TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    from_state      TEXT,
    to_state        TEXT    NOT NULL,
    on_day          TEXT,
    detail          TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX mediation_events_case ON mediation_events (case_id, id);
