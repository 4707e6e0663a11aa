-- When a campaign was first issued (draft → active), so the supervision grid
-- can tell how many working days a unit has left a notice unconfirmed (签收).
-- Campaigns issued before this migration have none: the grid counts from
-- their start date instead.
ALTER TABLE campaigns ADD COLUMN issued_at INTEGER;
