-- The W3C traceparent of the fact that caused a notification: its delivery, now or at a retry
-- after an outage, and also when it leaves in a digest with other facts' notifications, ends
-- that fact's trace (ballast.common.tracing).
ALTER TABLE alerts_outbox ADD COLUMN trace_context text;
