-- Stationing programmes (蹲点) and their work groups (工作组). A programme is a
-- campaign of kind 'stationing'; each work group belongs to one programme and is
-- owned by the org it is stationed at (org_id, the host province federation).
-- Groups record activities with the existing records (activities.work_group_id).

ALTER TABLE campaigns ADD COLUMN kind TEXT NOT NULL DEFAULT 'campaign'
    CONSTRAINT campaigns_kind CHECK (kind IN ('campaign', 'stationing'));

-- region: the province as questionnaire region answers write it (e.g. 湖南);
-- the group's questionnaires are the programme's surveys' responses of that region.
CREATE TABLE work_groups (
    id              INTEGER PRIMARY KEY,
    campaign_id     INTEGER NOT NULL REFERENCES campaigns(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    name            TEXT    NOT NULL,
    region          TEXT    NOT NULL,
    arrival_due_on  TEXT    NOT NULL,
    arrived_on      TEXT,
    starts_on       TEXT    NOT NULL,
    ends_on         TEXT    NOT NULL,
    party_branch    INTEGER NOT NULL DEFAULT 0,
    remarks           TEXT,
    created_by      INTEGER REFERENCES users(id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CONSTRAINT work_groups_name_key UNIQUE (campaign_id, name),
    CONSTRAINT work_groups_window CHECK (starts_on < ends_on),
    CONSTRAINT work_groups_branch CHECK (party_branch IN (0, 1))
);
CREATE INDEX work_groups_org ON work_groups (org_id);

-- Leader and members with their home department and duty (分工); exactly one
-- leader per group (the partial unique index backs the rule the form checks).
CREATE TABLE work_group_members (
    id              INTEGER PRIMARY KEY,
    work_group_id   INTEGER NOT NULL REFERENCES work_groups(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    position        INTEGER NOT NULL,
    name            TEXT    NOT NULL,
    department      TEXT,
    duty            TEXT,
    is_leader       INTEGER NOT NULL DEFAULT 0,
    user_id         INTEGER REFERENCES users(id),
    CONSTRAINT work_group_members_leader CHECK (is_leader IN (0, 1))
);
CREATE INDEX work_group_members_group ON work_group_members (work_group_id, position);
CREATE UNIQUE INDEX work_group_members_one_leader ON work_group_members (work_group_id) WHERE is_leader = 1;

-- Contacts with local unions (personal data: phones masked unless the role needs them).
CREATE TABLE work_group_contacts (
    id              INTEGER PRIMARY KEY,
    work_group_id   INTEGER NOT NULL REFERENCES work_groups(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    name            TEXT    NOT NULL,
    job_title       TEXT,
    org_name        TEXT,
    phone           TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX work_group_contacts_group ON work_group_contacts (work_group_id, id);

-- The study log (e.g. 浙江's 周二夜学) and the group's meetings.
CREATE TABLE work_group_studies (
    id              INTEGER PRIMARY KEY,
    work_group_id   INTEGER NOT NULL REFERENCES work_groups(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    held_on         TEXT    NOT NULL,
    subject           TEXT    NOT NULL,
    attendees       INTEGER NOT NULL DEFAULT 0,
    remarks           TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX work_group_studies_group ON work_group_studies (work_group_id, held_on);

-- Visits of leaders to the group.
CREATE TABLE work_group_visits (
    id              INTEGER PRIMARY KEY,
    work_group_id   INTEGER NOT NULL REFERENCES work_groups(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    visited_on      TEXT    NOT NULL,
    leader_name     TEXT    NOT NULL,
    leader_title    TEXT,
    remarks           TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX work_group_visits_group ON work_group_visits (work_group_id, visited_on);

-- An activity a work group recorded (its campaign is the group's programme).
ALTER TABLE activities ADD COLUMN work_group_id INTEGER REFERENCES work_groups(id);
CREATE INDEX activities_work_group ON activities (work_group_id);
