"""Reconnect and retry delays: exponential, capped, with jitter.

Why: a source that fails (500, timeout, 429 from a rate-limited API, the Hermes 24-hour close)
must be retried without hammering it (REFERENCE.md "Pyth": about 10 requests per 10 s per IP;
"Switchboard": rate-limited).
"""

from __future__ import annotations


def backoff_delay(
    attempt: int, *, base: float = 0.5, cap: float = 30.0, jitter: float = 0.2, rand: float = 0.5
) -> float:
    """Delay before retry number `attempt` (1-based). `rand` in [0, 1) supplies the jitter."""
    if attempt <= 0:
        return 0.0
    delay = min(cap, base * 2 ** min(attempt - 1, 30))
    return delay * (1 - jitter + 2 * jitter * rand)
