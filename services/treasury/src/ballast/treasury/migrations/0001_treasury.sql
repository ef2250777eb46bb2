-- Treasury service tables. Postgres is the record; a restart reloads from here, never the chain.

-- Trades counted in the VWAP, once each: the key makes a redelivered trade a no-op.
CREATE TABLE treasury_vwap_trades (
    tx_hash text NOT NULL,
    log_index integer NOT NULL,
    symbol text NOT NULL,
    minute bigint NOT NULL,
    PRIMARY KEY (tx_hash, log_index)
);
CREATE INDEX treasury_vwap_trades_minute ON treasury_vwap_trades (minute);

-- One-minute VWAP buckets: sum(price x volume) and sum(volume) in units of 1e-18.
CREATE TABLE treasury_vwap_bars (
    symbol text NOT NULL,
    minute bigint NOT NULL,
    pv_units numeric(78, 0) NOT NULL,
    volume_units numeric(78, 0) NOT NULL,
    PRIMARY KEY (symbol, minute)
);

-- The newest consensus per symbol (restart restores the price map from here).
CREATE TABLE treasury_latest_prices (
    symbol text PRIMARY KEY,
    computed_at timestamptz NOT NULL,
    message jsonb NOT NULL
);

-- Last consensus price of each minute per symbol: daily closes (risk), success checks (performance).
CREATE TABLE treasury_price_minutes (
    symbol text NOT NULL,
    minute timestamptz NOT NULL,
    price numeric NOT NULL,
    PRIMARY KEY (symbol, minute)
);

-- Every published treasury.state with its health score.
CREATE TABLE treasury_snapshots (
    id bigserial PRIMARY KEY,
    computed_at timestamptz NOT NULL,
    status text NOT NULL,
    treasury_value_usd numeric,
    reserve_ratio numeric,
    tier integer NOT NULL,
    safety_mode text NOT NULL,
    health_score numeric,
    health_level text,
    state jsonb NOT NULL,
    health jsonb
);
CREATE INDEX treasury_snapshots_computed_at ON treasury_snapshots (computed_at);

-- Interventions as decided and executed (for success rate and execution cost).
CREATE TABLE treasury_interventions (
    decision_id text PRIMARY KEY,
    decided_at timestamptz,
    action text,
    trigger_price numeric,
    amount_usd numeric,
    executed_at timestamptz,
    status text,
    slippage numeric,
    gas_cost_wei numeric(78, 0)
);

-- One accumulation request per hour, whoever asks: the key stops a second one.
CREATE TABLE treasury_accumulation_requests (
    hour timestamptz PRIMARY KEY,
    request_id text NOT NULL,
    amount_usd numeric NOT NULL,
    requested_at timestamptz NOT NULL
);

-- Where each liquidity position was entered or last rebalanced.
CREATE TABLE treasury_pool_entries (
    pool text PRIMARY KEY,
    centre_price numeric NOT NULL,
    liquidity_per_lp numeric NOT NULL,
    entered_at timestamptz NOT NULL
);
