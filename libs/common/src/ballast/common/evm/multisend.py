"""A batch of calls the Safe makes in one transaction, each call checked by the bot's role.

Safe's `MultiSendCallOnly.multiSend(bytes)` (delegate-called by the Safe) makes each packed
call in turn and refuses a delegate call inside. The Zodiac Roles v2 modifier, given a
`MultiSendUnwrapper` for (MultiSendCallOnly, multiSend) (`setTransactionUnwrapper`), unwraps
the batch and checks every call against the role as if sent alone: the batch is allowed only
if each of its calls is. `refusal` here decides it the same way from a RolePlan.

A call is packed as operation (1 byte) | to (20) | value (32) | data length (32) | data.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from ballast.common.evm import roles

MULTI_SEND = keccak(text="multiSend(bytes)")[:4]
MULTICALL = keccak(text="multicall(bytes[])")[:4]
"""Uniswap's `multicall(bytes[])` (the V3 position manager's): calls to the contract itself."""
CALL, DELEGATE_CALL = 0, 1


@dataclass(frozen=True)
class Inner:
    to: str
    data: bytes
    value: int = 0
    operation: int = CALL


def pack(calls: list[Inner]) -> bytes:
    """multiSend(bytes) calldata of `calls`, in order."""
    body = b"".join(
        c.operation.to_bytes(1, "big") + bytes.fromhex(to_checksum_address(c.to)[2:])
        + c.value.to_bytes(32, "big") + len(c.data).to_bytes(32, "big") + c.data
        for c in calls)
    return MULTI_SEND + encode(["bytes"], [body])


def unpack(data: bytes) -> list[Inner]:
    """The calls of multiSend(bytes) calldata; ValueError if it is none or malformed."""
    if data[:4] != MULTI_SEND:
        raise ValueError("not multiSend(bytes)")
    (body,) = decode(["bytes"], data[4:])
    calls: list[Inner] = []
    at = 0
    while at < len(body):
        if at + 85 > len(body):
            raise ValueError("a truncated call header")
        size = int.from_bytes(body[at + 53: at + 85], "big")
        end = at + 85 + size
        if end > len(body):
            raise ValueError("a truncated call")
        calls.append(Inner(to_checksum_address(body[at + 1: at + 21]), bytes(body[at + 85: end]),
                           int.from_bytes(body[at + 21: at + 53], "big"), body[at]))
        at = end
    return calls


def from_multicall(target: str, data: bytes) -> list[Inner] | None:
    """The calls of a `multicall(bytes[])` to `target` (each a call to `target` itself); None
    when `data` is no multicall."""
    if data[:4] != MULTICALL:
        return None
    (calls,) = decode(["bytes[]"], data[4:])
    return [Inner(to_checksum_address(target), bytes(c)) for c in calls]


def refusal(plan: roles.RolePlan, avatar: str, data: bytes) -> str | None:
    """Why the role may not make the batch `data` (None: it may): each call checked alone, as
    the modifier checks the calls its unwrapper returns; a delegate call is never allowed."""
    try:
        calls = unpack(data)
    except Exception as err:  # eth_abi's decoding errors have no common base
        return f"multiSend: malformed ({err})"
    if not calls:
        return "multiSend: no calls"
    for i, c in enumerate(calls):
        why = ("a delegate call is not allowed" if c.operation != CALL
               else roles.refusal(plan, avatar, c.to, c.data, c.value))
        if why is not None:
            return f"multiSend call {i}: {why}"
    return None
