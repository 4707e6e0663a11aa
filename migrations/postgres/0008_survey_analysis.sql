-- Questionnaire analysis: a coded copy of each response for fast counting,
-- and the problems made from answers. (0007 is the validity rules'.)

-- One line per response, laid out by its form version (survey::analysis::codec):
-- "{version}\t{worker group}\t{region}\t{coded slots}". The primary key
-- (survey, response) serves the chunked scans and keeps the survey in the key
-- for a distributed PostgreSQL. Every response gets its row from the trigger
-- below, with an empty line; the submission fills the line in the same
-- transaction, and the first analysis codes any still empty (responses stored
-- before this migration, or by a path that does not code): the partial index
-- finds them at once. valid, submitted_at, worker_group and region
-- are copies of the response's, kept for filtering without reading the
-- (large) response rows; valid follows the response through the trigger below.
CREATE TABLE survey_codes (
    survey_id           BIGINT NOT NULL REFERENCES surveys(id),
    response_id         BIGINT NOT NULL REFERENCES survey_responses(id) ON DELETE CASCADE,
    org_id              BIGINT NOT NULL REFERENCES orgs(id),
    valid               BIGINT NOT NULL,
    submitted_at        BIGINT NOT NULL,
    worker_group        TEXT   NOT NULL DEFAULT '',
    region              TEXT   NOT NULL DEFAULT '',
    line                TEXT   NOT NULL,
    PRIMARY KEY (survey_id, response_id)
);
CREATE INDEX survey_codes_response ON survey_codes (response_id);
-- In response order, so the back-fill walks it in chunks without sorting.
CREATE INDEX survey_codes_uncoded ON survey_codes (survey_id, response_id) WHERE line = '';

CREATE FUNCTION survey_codes_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO survey_codes (survey_id, response_id, org_id, valid, submitted_at, line)
    VALUES (NEW.survey_id, NEW.id, NEW.org_id, NEW.valid, NEW.submitted_at, '');
    RETURN NEW;
END $$;
CREATE TRIGGER survey_codes_new AFTER INSERT ON survey_responses
FOR EACH ROW EXECUTE FUNCTION survey_codes_new();

INSERT INTO survey_codes (survey_id, response_id, org_id, valid, submitted_at, line)
SELECT survey_id, id, org_id, valid, submitted_at, '' FROM survey_responses;

CREATE FUNCTION survey_codes_valid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE survey_codes SET valid = NEW.valid WHERE survey_id = NEW.survey_id AND response_id = NEW.id;
    RETURN NEW;
END $$;
CREATE TRIGGER survey_codes_valid AFTER UPDATE OF valid ON survey_responses
FOR EACH ROW EXECUTE FUNCTION survey_codes_valid();

-- A problem made from one answer ("转为问题"): one per (response, question),
-- so a second click finds the first problem; a problem comes from at most one answer.
CREATE TABLE survey_response_problems (
    response_id         BIGINT NOT NULL REFERENCES survey_responses(id),
    question            TEXT   NOT NULL,
    survey_id           BIGINT NOT NULL REFERENCES surveys(id),
    org_id              BIGINT NOT NULL REFERENCES orgs(id),
    problem_id          BIGINT NOT NULL REFERENCES problems(id),
    created_by          BIGINT REFERENCES users(id),
    created_at          BIGINT NOT NULL,
    PRIMARY KEY (response_id, question),
    CONSTRAINT survey_response_problems_problem_key UNIQUE (problem_id)
);
CREATE INDEX survey_response_problems_survey ON survey_response_problems (survey_id, response_id);
