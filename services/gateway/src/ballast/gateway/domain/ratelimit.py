"""Token bucket per caller for the control endpoints: `burst` at once, `per_minute` sustained.

Control commands are rare human acts; a script posting in a loop is a mistake to stop before it
floods the CONTROL stream and every service's control consumer.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RateLimiter:
    per_minute: int
    burst: int
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict[str, tuple[float, float]])

    def allow(self, caller: str, now: float) -> bool:
        tokens, last = self._buckets.get(caller, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.per_minute / 60.0)
        if tokens < 1.0:
            self._buckets[caller] = (tokens, now)
            return False
        self._buckets[caller] = (tokens - 1.0, now)
        return True

    def retry_after(self, caller: str) -> float:
        tokens, _ = self._buckets.get(caller, (0.0, 0.0))
        return max(0.0, (1.0 - tokens) * 60.0 / self.per_minute)
