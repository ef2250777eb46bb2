-- Reorganisations rolled back so far: part of every event's message id after the first, so a
-- log that a reorg removed and a later one restored (A -> B -> A within the stream's duplicate
-- window) is published again instead of being dropped as a duplicate of its first publish.
ALTER TABLE contract_monitor_cursor ADD COLUMN reorgs integer NOT NULL DEFAULT 0;
