"""Operator commands (`control.<command>`): pause, resume, silence, approve, ack."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from ballast.common.messages._base import Address, Message, UtcDatetime


class ControlVerb(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    SILENCE = "silence"
    APPROVE = "approve"
    ACK = "ack"


class ControlCommand(Message):
    command_id: str = Field(min_length=1, max_length=128)
    command: ControlVerb
    issued_by: str = Field(min_length=1)
    issued_at: UtcDatetime
    target: str | None = Field(default=None, description="a service, a strategy or an alert key")
    decision_id: str | None = None
    matchers: dict[str, str] = Field(default_factory=dict[str, str])
    expires_at: UtcDatetime | None = None
    reason: str = ""
    signer: Address | None = Field(
        default=None, description="the operator key that signed the command (ballast.common."
        "operators: EIP-712 typed data over every field but issued_by)")
    signature: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{130}$",
                                  description="65 bytes r, s, v; with signer")
