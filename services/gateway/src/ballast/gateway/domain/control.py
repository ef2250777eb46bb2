"""What an operator may post to `/api/v1/control/{verb}`, and the command it becomes.

The gateway posts the four verbs of issue 19 and `ack` (the console acknowledges an alert by its
key; the alerts API's own acknowledge stays). Each command carries the caller's identity (the
token's name) as `issued_by`: the intervention service applies pause, resume and approve only
from its configured operator identities, and the alerts service records who silenced or
acknowledged what.

A signed command (ballast.common.operators) comes with its own command_id, issued_at, signer and
signature, which the command keeps unchanged (a silence's end is then issued_at + its duration,
as the operator signed it); the app layer checks the signature before anything is published.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ballast.common.messages import ControlCommand, ControlVerb

POSTABLE = (ControlVerb.PAUSE, ControlVerb.RESUME, ControlVerb.APPROVE, ControlVerb.SILENCE,
            ControlVerb.ACK)
MAX_SILENCE = timedelta(days=7)
DEFAULT_SILENCE = timedelta(hours=2)


class ControlError(ValueError):
    """A control request that cannot become a command; the message says what to fix."""


class DuplicateCommand(ControlError):
    """A command_id the gateway has already published."""


class SignatureRefused(ControlError):
    """A signed request whose signature does not stand (bad, expired, from the future)."""


@dataclass(frozen=True)
class ControlRequest:
    target: str | None = None
    decision_id: str | None = None
    matchers: dict[str, str] = field(default_factory=dict[str, str])
    duration_seconds: int | None = None
    reason: str = ""
    command_id: str | None = None
    issued_at: datetime | None = None
    signer: str | None = None
    signature: str | None = None


def build_command(
    verb: str, request: ControlRequest, issued_by: str, now: datetime
) -> ControlCommand:
    command = next((v for v in POSTABLE if v.value == verb), None)
    if command is None:
        raise ControlError(f"{verb!r}: one of {', '.join(v.value for v in POSTABLE)}")
    signed = request.signer is not None or request.signature is not None
    if signed and (request.command_id is None or request.issued_at is None):
        raise SignatureRefused("a signed command carries its own command_id and issued_at")
    if not signed and (request.command_id is not None or request.issued_at is not None):
        raise ControlError("command_id and issued_at come only with a signature")
    now = request.issued_at or now
    expires_at = None
    if command is ControlVerb.APPROVE and not request.decision_id:
        raise ControlError("approve needs decision_id (the decision waiting for approval)")
    if command is ControlVerb.ACK and not request.target:
        raise ControlError("ack needs target (the alert key to acknowledge)")
    if command is ControlVerb.SILENCE:
        if not request.matchers and not request.target:
            raise ControlError("silence needs matchers (label -> value) or target (an alert key)")
        duration = (timedelta(seconds=request.duration_seconds)
                    if request.duration_seconds is not None else DEFAULT_SILENCE)
        if duration > MAX_SILENCE or duration <= timedelta(0):
            raise ControlError("duration_seconds: more than 0, at most 7 days")
        try:
            expires_at = now + duration
        except OverflowError:  # a signed issued_at near the end of the calendar
            raise ControlError("issued_at + duration_seconds is past the year 9999") from None
    return ControlCommand(
        command_id=request.command_id or str(uuid.uuid4()), command=command,
        issued_by=issued_by, issued_at=now,
        target=request.target, decision_id=request.decision_id, matchers=request.matchers,
        expires_at=expires_at, reason=request.reason, signer=request.signer,
        signature=request.signature,
    )
