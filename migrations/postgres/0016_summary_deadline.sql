-- Lateness of a summary table is decided once, at submission (summary_versions.late).
-- The deadline in force at that moment is kept beside the verdict, so a page can
-- show both the stored verdict and a later move of the campaign's deadline
-- ("报送时逾期；截止日期已改为…") instead of recomputing a second answer.
-- Versions stored before this migration get the campaign's deadline as it
-- stands now: the best that is known of it.
ALTER TABLE summary_versions ADD COLUMN due_on TEXT;
UPDATE summary_versions SET due_on = (SELECT c.report_due_on FROM campaigns c WHERE c.id = summary_versions.campaign_id);
