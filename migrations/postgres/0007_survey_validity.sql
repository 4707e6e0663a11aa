-- Validity (有效问卷): per-survey rules, each response's verdict with its
-- reasons, and reviewers' overrides. (0005 summaries, 0006 surveys.)

-- The rules as JSON (survey::validity::Rules); '{}' checks nothing.
ALTER TABLE surveys ADD COLUMN validity_rules TEXT NOT NULL DEFAULT '{}';
-- Raised on every change of the rules, so a recomputation that started under
-- older rules stops instead of writing stale verdicts.
ALTER TABLE surveys ADD COLUMN validity_rev BIGINT NOT NULL DEFAULT 0;
-- While a recomputation runs: the last response id judged by the current
-- rules (responses are walked in id order); NULL when every response is.
ALTER TABLE surveys ADD COLUMN validity_cursor BIGINT;
-- Progress of the running recomputation (responses judged / to judge).
ALTER TABLE surveys ADD COLUMN validity_done BIGINT NOT NULL DEFAULT 0;
ALTER TABLE surveys ADD COLUMN validity_total BIGINT NOT NULL DEFAULT 0;

-- The rules' verdict (invalid_reasons holds its reasons as a JSON list);
-- override_valid the reviewer's, which wins and survives recomputation.
-- valid is the effective verdict every count reads: the CHECK keeps it equal
-- to COALESCE(override_valid, rules_valid), and an override needs its note.
ALTER TABLE survey_responses ADD COLUMN rules_valid BIGINT NOT NULL DEFAULT 1;
ALTER TABLE survey_responses ADD COLUMN override_valid BIGINT;
ALTER TABLE survey_responses ADD COLUMN override_note TEXT;
ALTER TABLE survey_responses ADD COLUMN override_by BIGINT REFERENCES users(id);
ALTER TABLE survey_responses ADD COLUMN override_at BIGINT;
ALTER TABLE survey_responses ADD CONSTRAINT survey_responses_rules_valid CHECK (rules_valid IN (0, 1));
ALTER TABLE survey_responses ADD CONSTRAINT survey_responses_override_valid CHECK (override_valid IN (0, 1));
ALTER TABLE survey_responses ADD CONSTRAINT survey_responses_verdict
    CHECK (valid = COALESCE(override_valid, rules_valid)
       AND (override_valid IS NULL OR length(trim(override_note)) > 0));

-- Counting valid responses (valid_count) and the review list's filters.
CREATE INDEX survey_responses_valid ON survey_responses (survey_id, valid);
CREATE INDEX survey_responses_overridden ON survey_responses (survey_id)
    WHERE override_valid IS NOT NULL;
