-- Alerts: the lifecycle record per key, the history of notifications, the delivery outbox,
-- delivery attempts, silences. Postgres is the record; the bus only carries.

CREATE TABLE alerts_state (
    key                 text PRIMARY KEY,
    rule                text NOT NULL,
    base_severity       text NOT NULL,
    severity            text NOT NULL,
    labels              jsonb NOT NULL DEFAULT '{}'::jsonb,
    state               text NOT NULL CHECK (state IN ('firing', 'resolved')),
    summary             text NOT NULL,
    description         text NOT NULL DEFAULT '',
    value               text,
    starts_at           timestamptz NOT NULL,
    ends_at             timestamptz,
    last_seen_at        timestamptz NOT NULL,
    sequence            integer NOT NULL,
    notified_state      text,
    notified_severity   text,
    last_notified_at    timestamptz,
    last_notified_value text,
    escalated           boolean NOT NULL DEFAULT false,
    acknowledged        boolean NOT NULL DEFAULT false,
    acknowledged_by     text,
    acknowledged_at     timestamptz,
    route               text NOT NULL DEFAULT '',
    family              text,
    send_resolved       boolean NOT NULL DEFAULT true,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alerts_state_firing ON alerts_state (state) WHERE state = 'firing';

CREATE TABLE alerts_history (
    id              bigserial PRIMARY KEY,
    key             text NOT NULL,
    sequence        integer NOT NULL,
    notification_id text NOT NULL,
    rule            text NOT NULL,
    severity        text NOT NULL,
    state           text NOT NULL,
    reason          text NOT NULL,
    route           text NOT NULL,
    payload         jsonb NOT NULL,
    notified_at     timestamptz NOT NULL,
    UNIQUE (key, sequence)
);
CREATE INDEX alerts_history_time ON alerts_history (notified_at DESC);

CREATE TABLE alerts_outbox (
    id              bigserial PRIMARY KEY,
    key             text NOT NULL,
    sequence        integer NOT NULL,
    channel         text NOT NULL,
    notification_id text NOT NULL,
    severity        text NOT NULL,
    payload         jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'expired')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_until     timestamptz,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    delivered_at    timestamptz,
    last_error      text,
    UNIQUE (key, sequence, channel)
);
CREATE INDEX alerts_outbox_due ON alerts_outbox (next_attempt_at) WHERE status = 'pending';

CREATE TABLE alerts_deliveries (
    id           bigserial PRIMARY KEY,
    channel      text NOT NULL,
    outbox_ids   bigint[] NOT NULL,
    ok           boolean NOT NULL,
    error        text,
    attempted_at timestamptz NOT NULL,
    duration_ms  double precision NOT NULL
);

CREATE TABLE alerts_silences (
    id         text PRIMARY KEY,
    matchers   jsonb NOT NULL,
    starts_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    created_by text NOT NULL DEFAULT '',
    reason     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
