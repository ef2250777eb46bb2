"""Calldata for tests of a role's checks (ballast.common.evm.roles): numbered addresses and a
function's calldata from its signature."""

from __future__ import annotations

from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak


def addr(n: int) -> str:
    """The address `n` (0x00..0n): distinct, readable test addresses."""
    return "0x" + f"{n:040x}"


def calldata(signature: str, *args: Any) -> bytes:
    """Selector and ABI-encoded `args` of `signature` (one struct parameter, or plain types)."""
    inside = signature[signature.index("(") + 1 : -1]
    types = [inside] if inside.startswith("(") else inside.split(",") if inside else []
    return keccak(text=signature)[:4] + encode(types, list(args))
