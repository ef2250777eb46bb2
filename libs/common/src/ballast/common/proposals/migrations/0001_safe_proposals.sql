-- Safe transaction proposals (issue 21 "Custody"): a call the bot may not make alone, waiting for
-- its owners' signatures, then executed once. The row is the record; the Safe's nonce is what
-- makes a second execution impossible on chain.

CREATE TABLE safe_proposals (
    proposal_id    text PRIMARY KEY,
    safe           text NOT NULL,
    chain_id       bigint NOT NULL,
    nonce          numeric(78, 0) NOT NULL,      -- the Safe nonce the transaction is signed for
    to_address     text NOT NULL,
    value          numeric(78, 0) NOT NULL,
    data           bytea NOT NULL,
    operation      smallint NOT NULL,
    safe_tx_hash   text NOT NULL UNIQUE,         -- EIP-712, what the owners sign
    threshold      integer NOT NULL,
    reason         text NOT NULL DEFAULT '',
    decision_id    text UNIQUE,                  -- the decision it carries out, if any
    proposed_by    text NOT NULL,
    proposed_at    timestamptz NOT NULL DEFAULT now(),
    proposed_block bigint NOT NULL,              -- where to look for its execution
    status         text NOT NULL DEFAULT 'pending', -- pending | executed | failed | stale
    exec_tx_hash   text,
    executed_block bigint,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX safe_proposals_pending ON safe_proposals (safe, nonce) WHERE status = 'pending';

CREATE TABLE safe_proposal_signatures (
    proposal_id text NOT NULL REFERENCES safe_proposals (proposal_id),
    owner       text NOT NULL,
    signature   bytea NOT NULL,
    signed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (proposal_id, owner)
);
