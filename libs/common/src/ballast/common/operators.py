"""Signed operator commands: the canonical digest of a `ControlCommand`, signing, recovery, and
whether a service should obey it (`refusal`). Pure: no I/O, the clock is an argument.

The signature is EIP-712 typed data (eth_signTypedData_v4), not EIP-191 personal_sign: a wallet
shows an operator every field it signs (the verb, the target, the reason...) instead of an opaque
string, the domain keeps it from ever being valid as anything else, and the same bytes can be
signed later by a browser wallet from the console. The domain has no chainId: a command is about
the services, not a chain (give each deployment its own operator keys).

What is signed (`OperatorCommand`), everything that changes what the command means:

    commandId   the command's id (a service applies an id once)
    command     the verb: pause, resume, approve, silence, ack
    issuedAt    unix seconds (whole seconds: a signed command carries no fraction)
    target      "" for none
    decisionId  "" for none
    matchers    Matcher{label, value}[], sorted by label
    expiresAt   unix seconds, 0 for none (a silence's end: issued_at + its duration)
    reason      the operator's words

`issued_by` is not signed: it is the gateway token's name, stamped by the gateway. `signer` is
not signed either: it is what the signature must recover to. An empty target or decision id
would sign the same as none, so a signed command never carries one (`NotCanonical`).

`refusal(cmd, identities, now)`: None when the command may be obeyed, else why not. An identity
that is a 0x address is satisfied only by a valid signature recovering to it, issued no more
than `SIGNED_COMMAND_WINDOW` ago and no more than `CLOCK_SKEW` ahead; any other identity is
matched against `issued_by` as before signatures (existing deployments keep working). A command
that carries a signature must verify and be in the window whichever identity it relies on.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_keys.exceptions import BadSignature
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError
from pydantic import AfterValidator

from ballast.common.messages import ControlCommand

SIGNED_COMMAND_WINDOW = timedelta(minutes=10)
"""How old a signed command's issued_at may be when a service (or the gateway) checks it."""
CLOCK_SKEW = timedelta(seconds=30)
"""How far ahead of the checker's clock a signed command's issued_at may be."""

DOMAIN: dict[str, Any] = {"name": "Ballast operator command", "version": "1"}
TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"}],
    "Matcher": [{"name": "label", "type": "string"}, {"name": "value", "type": "string"}],
    "OperatorCommand": [
        {"name": "commandId", "type": "string"},
        {"name": "command", "type": "string"},
        {"name": "issuedAt", "type": "uint64"},
        {"name": "target", "type": "string"},
        {"name": "decisionId", "type": "string"},
        {"name": "matchers", "type": "Matcher[]"},
        {"name": "expiresAt", "type": "uint64"},
        {"name": "reason", "type": "string"},
    ],
}
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class NotCanonical(ValueError):
    """A command whose fields would sign ambiguously (a fraction of a second, an empty target)."""


def is_address(identity: str) -> bool:
    return bool(_ADDRESS.match(identity))


def _checked(identities: tuple[str, ...]) -> tuple[str, ...]:
    bad = [i for i in identities if i.lower().startswith("0x") and not is_address(i)]
    if bad:
        raise ValueError(f"{', '.join(bad)}: an address identity is 0x and 40 hex digits")
    return identities


OperatorIdentities = Annotated[tuple[str, ...], AfterValidator(_checked)]
"""A service's operator identities (settings): 0x addresses and names; a mistyped address is an
error at start, not a name that nobody's token carries."""


def _seconds(at: datetime, name: str) -> int:
    delta = at - _EPOCH
    if delta.microseconds:
        raise NotCanonical(f"{name}: whole seconds in a signed command")
    return int(delta.total_seconds())


def typed_data(cmd: ControlCommand) -> dict[str, Any]:
    """The EIP-712 document a wallet signs for `cmd` (NotCanonical if it cannot be signed)."""
    for name in ("target", "decision_id"):
        if getattr(cmd, name) == "":
            raise NotCanonical(f"{name}: absent, not empty, in a signed command")
    message = {
        "commandId": cmd.command_id,
        "command": cmd.command.value,
        "issuedAt": _seconds(cmd.issued_at, "issued_at"),
        "target": cmd.target or "",
        "decisionId": cmd.decision_id or "",
        "matchers": [{"label": k, "value": v} for k, v in sorted(cmd.matchers.items())],
        "expiresAt": 0 if cmd.expires_at is None else _seconds(cmd.expires_at, "expires_at"),
        "reason": cmd.reason,
    }
    return {"types": TYPES, "primaryType": "OperatorCommand", "domain": DOMAIN,
            "message": message}


def _signable(cmd: ControlCommand) -> SignableMessage:
    return encode_typed_data(full_message=typed_data(cmd))


def digest(cmd: ControlCommand) -> bytes:
    """The 32 bytes the signature is over (EIP-712's keccak of 0x1901 ‖ domain ‖ struct)."""
    m = _signable(cmd)
    return keccak(b"\x19" + m.version + m.header + m.body)


def sign(cmd: ControlCommand, private_key: bytes) -> ControlCommand:
    """`cmd` with `signer` (the key's address) and `signature` (0x + 65 bytes hex) set."""
    account = Account.from_key(private_key)
    signed = account.sign_message(_signable(cmd))
    return cmd.model_copy(update={"signer": account.address,
                                  "signature": "0x" + bytes(signed.signature).hex()})


def recover(cmd: ControlCommand) -> str | None:
    """The address that signed `cmd`'s fields, or None (no signature, malformed, not canonical)."""
    if not cmd.signature:
        return None
    try:
        return Account.recover_message(_signable(cmd), signature=bytes.fromhex(cmd.signature[2:]))
    except (ValueError, TypeError, BadSignature, ValidationError):
        return None


def signature_problem(cmd: ControlCommand, now: datetime) -> str | None:
    """Why a command's signature is not good at `now`, or None when it is (or there is none)."""
    if cmd.signature is None and cmd.signer is None:
        return None
    if cmd.signature is None or cmd.signer is None:
        return "bad signature: signer and signature go together"
    recovered = recover(cmd)
    if recovered is None or recovered.lower() != cmd.signer.lower():
        return f"bad signature: it does not recover to {cmd.signer}"
    if now - cmd.issued_at > SIGNED_COMMAND_WINDOW:
        return (f"expired: issued at {cmd.issued_at.isoformat()}, more than "
                f"{int(SIGNED_COMMAND_WINDOW.total_seconds() // 60)} min ago")
    if cmd.issued_at - now > CLOCK_SKEW:
        return f"issued in the future: {cmd.issued_at.isoformat()}"
    return None


def refusal(cmd: ControlCommand, identities: Collection[str], now: datetime) -> str | None:
    """None when one of `identities` vouches for `cmd` at `now`; else the refusal, in words:
    bad signature, expired, issued in the future, unknown signer, unsigned."""
    if (problem := signature_problem(cmd, now)) is not None:
        return problem
    addresses = {i.lower() for i in identities if is_address(i)}
    if cmd.signer is not None and cmd.signer.lower() in addresses:
        return None
    if cmd.issued_by in identities and not is_address(cmd.issued_by):
        return None
    if cmd.signer is not None:
        return f"unknown signer {cmd.signer}"
    if not addresses:
        return "not an operator identity"
    if all(is_address(i) for i in identities):
        return "unsigned: the operator identities are addresses (sign with --keystore)"
    return "unsigned, and not an operator identity"
