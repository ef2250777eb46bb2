"""Bus plumbing facts: heartbeats and dead letters."""

from __future__ import annotations

from pydantic import Field

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
