-- Oracle history (issue #4 "History"): every reading, every consensus, every confirmed trade,
-- and one-minute bars per symbol for the treasury's VWAP windows (PSTR seed: 30-day VWAP).
-- Written in batches with COPY. Indexes serve range queries by symbol and time.

CREATE TABLE oracle_observations (
    symbol        text        NOT NULL,
    source        text        NOT NULL,
    price         numeric     NOT NULL,
    confidence    numeric,
    published_at  timestamptz NOT NULL,
    observed_at   timestamptz NOT NULL,
    block_number  bigint,
    feed_id       text
);
CREATE INDEX oracle_observations_symbol_time ON oracle_observations (symbol, observed_at);
CREATE INDEX oracle_observations_source_time ON oracle_observations (source, symbol, observed_at);

CREATE TABLE oracle_consensus (
    symbol         text        NOT NULL,
    sequence       bigint      NOT NULL,
    price          numeric,
    confidence     numeric,
    status         text        NOT NULL CHECK (status IN ('OK', 'DEGRADED', 'HALTED')),
    sources_used   integer     NOT NULL,
    max_deviation  numeric,
    reasons        text[]      NOT NULL DEFAULT '{}',
    sources        jsonb       NOT NULL,
    computed_at    timestamptz NOT NULL,
    PRIMARY KEY (symbol, sequence)
);
CREATE INDEX oracle_consensus_symbol_time ON oracle_consensus (symbol, computed_at);

CREATE TABLE oracle_trades (
    venue            text        NOT NULL,
    pair             text        NOT NULL,
    base_symbol      text        NOT NULL,
    quote_symbol     text        NOT NULL,
    side             text        NOT NULL CHECK (side IN ('buy', 'sell')),
    price            numeric     NOT NULL,
    base_volume      numeric     NOT NULL,
    quote_volume     numeric     NOT NULL,
    base_amount_raw  numeric(78) NOT NULL,
    quote_amount_raw numeric(78) NOT NULL,
    tx_hash          text        NOT NULL,
    log_index        integer     NOT NULL,
    block_number     bigint      NOT NULL,
    block_hash       text        NOT NULL,
    ts               timestamptz NOT NULL,
    PRIMARY KEY (tx_hash, log_index)           -- each trade once
);
CREATE INDEX oracle_trades_symbol_time ON oracle_trades (base_symbol, ts);
CREATE INDEX oracle_trades_pair_time ON oracle_trades (venue, pair, ts);

-- One-minute bars: VWAP over any window = sum(price_volume) / sum(volume).
CREATE TABLE oracle_bars_1m (
    symbol        text        NOT NULL,
    quote         text        NOT NULL,
    minute        timestamptz NOT NULL,
    open          numeric     NOT NULL,
    high          numeric     NOT NULL,
    low           numeric     NOT NULL,
    close         numeric     NOT NULL,
    volume        numeric     NOT NULL,
    price_volume  numeric     NOT NULL,
    trades        integer     NOT NULL,
    open_at       timestamptz NOT NULL,
    close_at      timestamptz NOT NULL,
    PRIMARY KEY (symbol, quote, minute)
);
