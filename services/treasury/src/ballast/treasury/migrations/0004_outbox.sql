-- The transactional outbox (ballast.common.outbox): treasury.state and health.score are written here in the
-- snapshot's transaction, so a crash between the commit and the publish loses neither.
CREATE TABLE IF NOT EXISTS treasury_outbox (
    id          bigserial PRIMARY KEY,
    msg_id      text NOT NULL UNIQUE,
    subject     text NOT NULL,
    payload     text NOT NULL,
    traceparent text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);
CREATE INDEX IF NOT EXISTS treasury_outbox_unsent ON treasury_outbox (id) WHERE sent_at IS NULL;

