"""Bus plumbing facts: heartbeats and dead letters."""

from __future__ import annotations

from pydantic import Field, ValidationError

from ballast.common.messages._base import Message, UtcDatetime


class Heartbeat(Message):
    """`heartbeat.<service>` on a fixed interval; the alerts service pages on a missing one."""

    service: str
    instance: str
    version: str
    started_at: UtcDatetime
    sent_at: UtcDatetime
    uptime_seconds: int = Field(ge=0)
    ready: bool
    checks: dict[str, bool] = Field(default_factory=dict[str, bool])
    interval_seconds: int = Field(gt=0)


class DeadLetter(Message):
    """`deadletter.<original subject>`: a message that could not be decoded or kept failing."""

    original_subject: str
    service: str
    error: str
    payload_b64: str = Field(description="the original bytes, base64")
    headers: dict[str, str] = Field(default_factory=dict[str, str])
    deliveries: int = Field(ge=1)
    failed_at: UtcDatetime

    @staticmethod
    def describe(error: BaseException) -> str:
        """A dead letter's `error`: what failed, at most 2,000 characters."""
        if isinstance(error, ValidationError):
            parts = [f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}"
                     for e in error.errors()]
            return "invalid payload: " + "; ".join(parts)[:2000]
        return f"{type(error).__name__}: {error}"[:2000]
