-- Reports that exist only on the bus (risk, performance, liquidity), kept as the record, and
-- every control command the gateway published: who, when, what, and what the bus answered.
CREATE TABLE gateway_reports (
    kind        text        NOT NULL CHECK (kind IN ('risk', 'performance', 'liquidity')),
    computed_at timestamptz NOT NULL,
    payload     jsonb       NOT NULL,
    stored_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, computed_at)
);

CREATE TABLE gateway_control_commands (
    command_id   text PRIMARY KEY,
    verb         text        NOT NULL,
    issued_by    text        NOT NULL,
    issued_at    timestamptz NOT NULL,
    target       text,
    decision_id  text,
    command      jsonb       NOT NULL,
    published    boolean     NOT NULL DEFAULT false,
    stream       text,
    stream_seq   bigint,
    error        text
);
CREATE INDEX gateway_control_commands_issued_at ON gateway_control_commands (issued_at);
