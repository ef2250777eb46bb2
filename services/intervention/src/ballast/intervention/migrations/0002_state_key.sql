-- The treasury.state a decision was made from (sha256 of its JSON): a redelivered state gets the
-- decision already recorded for it, not a second evaluation.
ALTER TABLE intervention_decisions ADD COLUMN state_key text;
CREATE INDEX intervention_decisions_state_key
    ON intervention_decisions (strategy, state_key) WHERE state_key IS NOT NULL;
