-- The bus copies of notifications (alerts.<severity>) go through the transactional outbox
-- (ballast.common.outbox), written with the notification's rows: a crash no longer loses them.
CREATE TABLE IF NOT EXISTS alerts_bus_outbox (
    id          bigserial PRIMARY KEY,
    msg_id      text NOT NULL UNIQUE,
    subject     text NOT NULL,
    payload     text NOT NULL,
    traceparent text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);
CREATE INDEX IF NOT EXISTS alerts_bus_outbox_unsent ON alerts_bus_outbox (id) WHERE sent_at IS NULL;

