-- Validator monitor: round history, the log cursor and the facts already published.

-- Where the log poller stands: the last confirmed block fully processed, and the last epoch
-- whose statuses were published. One row per chain.
CREATE TABLE validator_monitor_cursor (
    chain_id    bigint PRIMARY KEY,
    last_block  bigint NOT NULL,
    last_round  bigint NOT NULL,
    last_epoch  bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per operator and round: the last reading of that round (so the final income of a
-- finished round is its last row), plus the missed-block count at the round's first reading.
CREATE TABLE validator_rounds (
    operator                     text    NOT NULL,
    round                        bigint  NOT NULL,
    consensus                    text,
    status_bits                  integer NOT NULL,
    jailed_until_round           bigint,
    commission_thousandths       integer NOT NULL,
    commission_last_change_round bigint  NOT NULL,
    commission_last_round_value  integer NOT NULL,
    effective_commission         integer,
    in_validator_set             boolean NOT NULL,
    missed_blocks                integer NOT NULL,
    round_start_missed           integer NOT NULL,
    misdemeanor_threshold        integer NOT NULL,
    felony_threshold             integer NOT NULL,
    income                       numeric(78, 0) NOT NULL,
    previous_round_income        numeric(78, 0),
    total_delegated              numeric(78, 0),
    our_delegation               numeric(78, 0) NOT NULL,
    our_staked                   numeric(78, 0) NOT NULL,
    score_total                  numeric(78, 0) NOT NULL,
    score_core                   numeric(78, 0) NOT NULL,
    estimated_apy                numeric,
    first_block                  bigint  NOT NULL,
    last_block                   bigint  NOT NULL,
    updated_at                   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (operator, round)
);
CREATE INDEX validator_rounds_round ON validator_rounds (round);

-- Operators that left the candidate set (their last row stays in validator_rounds).
CREATE TABLE validator_gone (
    operator   text PRIMARY KEY,
    gone_block bigint NOT NULL
);

-- The watched logs, decoded (statusChanged, turnedRound, validatorMisdemeanor, validatorFelony,
-- validatorSlashed, validatorSetUpdated, and our delegator's delegatedCoin/undelegatedCoin/
-- transferredCoin).
CREATE TABLE validator_events (
    block      bigint  NOT NULL,
    log_index  integer NOT NULL,
    tx_hash    text    NOT NULL,
    event      text    NOT NULL,
    operator   text,
    args       jsonb   NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX validator_events_operator ON validator_events (operator, block);

-- Every fact published, by its Nats-Msg-Id: a fact id found here is never published again.
CREATE TABLE validator_facts (
    fact_id      text PRIMARY KEY,
    subject      text NOT NULL,
    operator     text NOT NULL,
    round        bigint NOT NULL,
    kinds        text[] NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now()
);

-- The last recommendation published per operator (none = HOLD).
CREATE TABLE validator_recommendations (
    operator   text PRIMARY KEY,
    action     text NOT NULL,
    reasons    text[] NOT NULL,
    round      bigint NOT NULL,
    block      bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
