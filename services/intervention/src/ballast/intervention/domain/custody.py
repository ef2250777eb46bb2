"""Custody as data (issue 21): where the treasury is held and what the bot may spend of it today.

With custody the treasury's assets are held by a Safe and the bot's key acts through a Zodiac
Roles v2 modifier under one role. `accrued` is the modifier's own refill rule for an allowance
(Roles v2 `AllowanceLoader._accruedAllowance`), so the executor knows what is left today without
a call that would spend it. `explain` reads the modifier's refusal in a revert's text.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi.abi import decode
from eth_utils.crypto import keccak

CONDITION_VIOLATION = keccak(text="ConditionViolation(uint8,bytes32)")[:4]
OR_VIOLATION = 5
"""Roles v2 `Status.OrViolation`: no branch of an either-condition holds; the modifier names no
parameter or allowance (the bot's swap is either the intervention's or the accumulation's)."""


@dataclass(frozen=True)
class CustodyConfig:
    """`safe` holds the treasury: every call is made for it (recipient, balances); the bot's
    transactions go to the Zodiac Roles modifier `roles` under the role key `role`, as text
    (`ballast-bot`: left-aligned in bytes32 on chain). `multisend`: the MultiSendCallOnly the
    modifier unwraps (a batch of calls, each checked against the role), None when there is none."""

    safe: str
    roles: str
    role: str
    multisend: str | None = None


@dataclass(frozen=True)
class AllowanceState:
    """`Roles.allowances(key)`: (refill, maxRefill, period, balance, timestamp)."""

    refill: int
    max_refill: int
    period: int
    balance: int
    timestamp: int


def accrued(a: AllowanceState, now: int) -> int:
    """What the allowance holds at block time `now`: the stored balance plus every whole period
    since its timestamp refilled, up to `max_refill` (a balance above it stays as it is)."""
    if a.period == 0 or now < a.timestamp + a.period:
        return a.balance
    if a.balance >= a.max_refill:
        return a.balance
    periods = (now - a.timestamp) // a.period
    return min(a.balance + a.refill * periods, a.max_refill)


def explain(err: object) -> str:
    """A revert's text (an error or the text itself), with the modifier's
    ConditionViolation(status, info) decoded: the role refused the call, a permanent failure."""
    text = str(err)
    marker = "0x" + CONDITION_VIOLATION.hex()
    at = text.find(marker)
    if at < 0:
        return text
    raw = bytes.fromhex(text[at + 10: at + 10 + 128].ljust(128, "0"))
    status, info = decode(["uint8", "bytes32"], raw)
    key = bytes(info).rstrip(b"\0")
    label = key.decode() if key and all(32 < b < 127 for b in key) else "0x" + bytes(info).hex()
    if status == OR_VIOLATION and not key:
        label = "no branch holds: an allowance spent or a parameter outside every branch"
    return f"ConditionViolation(status {status}, {label}) from the Roles modifier"
