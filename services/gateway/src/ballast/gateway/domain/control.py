"""What an operator may post to `/api/v1/control/{verb}`, and the command it becomes.

The gateway posts the four verbs of issue 19 and `ack` (the console acknowledges an alert by its
key; the alerts API's own acknowledge stays). Each command carries the caller's identity (the
token's name) as `issued_by`: the intervention service applies pause, resume and approve only
from its configured operator identities, and the alerts service records who silenced or
acknowledged what.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ballast.common.messages import ControlCommand, ControlVerb

POSTABLE = (ControlVerb.PAUSE, ControlVerb.RESUME, ControlVerb.APPROVE, ControlVerb.SILENCE,
            ControlVerb.ACK)
MAX_SILENCE = timedelta(days=7)


class ControlError(ValueError):
    """A control request that cannot become a command; the message says what to fix."""


@dataclass(frozen=True)
class ControlRequest:
    target: str | None = None
    decision_id: str | None = None
    matchers: dict[str, str] = field(default_factory=dict[str, str])
    duration_seconds: int | None = None
    reason: str = ""


def build_command(
    verb: str, request: ControlRequest, issued_by: str, now: datetime
) -> ControlCommand:
    command = next((v for v in POSTABLE if v.value == verb), None)
    if command is None:
        raise ControlError(f"{verb!r}: one of {', '.join(v.value for v in POSTABLE)}")
    expires_at = None
    if command is ControlVerb.APPROVE and not request.decision_id:
        raise ControlError("approve needs decision_id (the decision waiting for approval)")
    if command is ControlVerb.ACK and not request.target:
        raise ControlError("ack needs target (the alert key to acknowledge)")
    if command is ControlVerb.SILENCE:
        if not request.matchers and not request.target:
            raise ControlError("silence needs matchers (label -> value) or target (an alert key)")
        duration = timedelta(seconds=request.duration_seconds or 7200)
        if duration > MAX_SILENCE or duration <= timedelta(0):
            raise ControlError("duration_seconds: more than 0, at most 7 days")
        expires_at = now + duration
    return ControlCommand(
        command_id=str(uuid.uuid4()), command=command, issued_by=issued_by, issued_at=now,
        target=request.target, decision_id=request.decision_id, matchers=request.matchers,
        expires_at=expires_at, reason=request.reason,
    )
