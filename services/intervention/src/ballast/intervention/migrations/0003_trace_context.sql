-- The W3C traceparent of the handler that made the decision: every executor step resumes it, so
-- the swap, its receipt and intervention.executed stay in the trace of the price that caused
-- them, across executor passes and restarts (ballast.common.tracing).
ALTER TABLE intervention_decisions ADD COLUMN trace_context text;
