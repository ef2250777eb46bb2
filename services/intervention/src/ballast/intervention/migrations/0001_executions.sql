-- Intervention service record (issue #6 "Exactly once"). Postgres, not the bus, is what stops a
-- second intervention: one acting decision per (strategy, UTC day, slot), the nonce and the signed
-- bytes persisted before broadcast.

CREATE TABLE intervention_decisions (
    decision_id        text PRIMARY KEY,
    kind               text NOT NULL,          -- intervention | accumulate | rebalance | compound
    strategy           text NOT NULL,
    action             text NOT NULL,          -- act | blocked
    utc_day            date NOT NULL,
    slot               integer NOT NULL DEFAULT 0,
    mode               text NOT NULL,          -- dry_run | live
    decided_at         timestamptz NOT NULL,
    amount_usd         numeric NOT NULL DEFAULT 0,
    amount_in_raw      numeric(78, 0) NOT NULL DEFAULT 0,
    requires_approval  boolean NOT NULL DEFAULT false,
    approved_by        text,
    approved_at        timestamptz,
    payload            jsonb NOT NULL,         -- the InterventionDecision / AutomationRequest
    decided_published  boolean NOT NULL DEFAULT false,
    phase              text NOT NULL DEFAULT 'decided',
    account            text,
    nonce              bigint,
    nonce_released     boolean NOT NULL DEFAULT false,
    quoted_out_raw     numeric(78, 0),
    amount_out_min_raw numeric(78, 0),
    deadline           bigint,
    mined_hash         text,
    mined_block        bigint,
    outcome            jsonb,                  -- the terminal InterventionExecuted / AutomationAction
    published_at       timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- The fence: at most one acting intervention per strategy, UTC day and slot (slot < the daily max).
CREATE UNIQUE INDEX intervention_decisions_one_per_day
    ON intervention_decisions (strategy, utc_day, slot)
    WHERE kind = 'intervention' AND action = 'act';

-- No two live executions of one account may hold the same nonce.
CREATE UNIQUE INDEX intervention_decisions_nonce
    ON intervention_decisions (account, nonce)
    WHERE nonce IS NOT NULL AND NOT nonce_released;

CREATE INDEX intervention_decisions_open
    ON intervention_decisions (decided_at)
    WHERE action = 'act' AND (published_at IS NULL OR NOT decided_published);

CREATE TABLE intervention_txs (
    decision_id              text NOT NULL REFERENCES intervention_decisions (decision_id),
    attempt                  integer NOT NULL,
    nonce                    bigint NOT NULL,
    tx_hash                  text NOT NULL UNIQUE,
    raw_tx                   bytea NOT NULL,
    max_fee_per_gas          numeric(78, 0) NOT NULL,
    max_priority_fee_per_gas numeric(78, 0) NOT NULL,
    signed_at                timestamptz NOT NULL DEFAULT now(),
    broadcast_at             timestamptz,
    PRIMARY KEY (decision_id, attempt)
);

-- Operator control, persisted: pause survives a restart.
CREATE TABLE intervention_control (
    scope       text PRIMARY KEY,               -- 'global'
    paused      boolean NOT NULL,
    command_id  text NOT NULL,
    issued_by   text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    issued_at   timestamptz NOT NULL,             -- a redelivered older command never wins
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE intervention_commands (
    command_id  text PRIMARY KEY,
    command     text NOT NULL,
    issued_by   text NOT NULL,
    accepted    boolean NOT NULL,
    detail      text NOT NULL DEFAULT '',
    received_at timestamptz NOT NULL DEFAULT now()
);
