-- Confirmed liquidity actions (issue #18): the count of rebalances per month on liquidity.state.
CREATE TABLE treasury_liquidity_actions (
    action_id    text PRIMARY KEY,
    kind         text NOT NULL,          -- liquidity_add | liquidity_rebalance
    pool         text NOT NULL,
    tx_hash      text,
    confirmed_at timestamptz NOT NULL
);
CREATE INDEX treasury_liquidity_actions_time ON treasury_liquidity_actions (kind, confirmed_at);
