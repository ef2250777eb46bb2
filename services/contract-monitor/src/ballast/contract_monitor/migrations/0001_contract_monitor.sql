-- Contract monitor: the log cursor, block hashes for reorg detection, every indexed event, and
-- the ETF snapshots.

-- Events of every block <= stored_block are in contract_events; those <= published_block are
-- also on the bus. A restart publishes (published_block, stored_block] again (same msg ids).
CREATE TABLE contract_monitor_cursor (
    chain_id        bigint PRIMARY KEY,
    stored_block    bigint NOT NULL,
    published_block bigint NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Hashes of processed blocks (range ends and blocks with events), kept for the reorg window:
-- the newest one the chain still has is the fork point.
CREATE TABLE contract_monitor_blocks (
    number bigint PRIMARY KEY,
    hash   text   NOT NULL
);

-- One row per log of the StakeBasket, StakingManager, UnbondingQueue, Governor and Timelock.
-- (tx_hash, log_index) is the log's identity: a replay never adds a second row.
CREATE TABLE contract_events (
    tx_hash      text    NOT NULL,
    log_index    integer NOT NULL,
    block_number bigint  NOT NULL,
    block_hash   text    NOT NULL,
    contract     text    NOT NULL,
    source       text    NOT NULL CHECK (source IN ('etf', 'governance')),
    event_name   text    NOT NULL,
    kind         text    NOT NULL,
    args         jsonb   NOT NULL,
    observed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tx_hash, log_index)
);
CREATE INDEX contract_events_block ON contract_events (block_number, log_index);
CREATE INDEX contract_events_proposal ON contract_events ((args ->> 'proposalId'))
    WHERE source = 'governance';

-- One row per metrics read: the published figures and the raw integers they came from.
CREATE TABLE etf_snapshots (
    block_number    bigint PRIMARY KEY,
    block_timestamp timestamptz NOT NULL,
    nav_per_share   numeric NOT NULL,
    aum_usd         numeric NOT NULL,
    basket_supply   numeric(78, 0) NOT NULL,
    queue_length    integer NOT NULL,
    invariants_ok   boolean NOT NULL,
    reading         jsonb   NOT NULL,
    metrics         jsonb   NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
