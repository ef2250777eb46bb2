"""Zodiac Roles v2 permissions as data: what a role may call, encoded the way the Roles modifier
stores it, and checked in Python the way the modifier checks it.

A `RolePlan` is the whole permission set of one role: its members, every (target, function) it
may call with a condition tree over the call's parameters, and the allowances those conditions
spend. `flatten` turns a condition tree into the breadth-first `ConditionFlat[]` that
`Roles.scopeFunction` takes; `refusal` answers "is this call inside the role?" from the same plan,
so a sender can refuse before broadcasting what the chain would revert.

The enums are Roles v2's (zodiac-roles-deployments 3.3.0, the build in contracts/artifacts/zodiac).
`refusal` implements the operators a plan here uses; an allowance is checked against its
ceiling (`max_refill`), not the balance left today, which only the chain knows.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak


class ParamType(IntEnum):
    NONE = 0
    STATIC = 1
    DYNAMIC = 2
    TUPLE = 3
    ARRAY = 4
    CALLDATA = 5
    ABI_ENCODED = 6


class Op(IntEnum):
    PASS = 0
    AND = 1
    OR = 2
    MATCHES = 5
    EQUAL_TO_AVATAR = 15
    EQUAL_TO = 16
    GREATER_THAN = 17
    LESS_THAN = 18
    WITHIN_ALLOWANCE = 28
    CALL_WITHIN_ALLOWANCE = 30


ONE_DAY = 86_400


def bytes32(text: str) -> bytes:
    """A role or allowance key: the ASCII text, left-aligned in 32 bytes (as the roles SDK)."""
    raw = text.encode()
    if len(raw) > 32:
        raise ValueError(f"key {text!r} is longer than 32 bytes")
    return raw.ljust(32, b"\0")


@dataclass(frozen=True)
class Condition:
    param: ParamType
    op: Op
    value: bytes = b""
    children: tuple[Condition, ...] = ()


# -- the building blocks a plan is written with
def anything() -> Condition:
    return Condition(ParamType.STATIC, Op.PASS)


def equal(abi_type: str, value: Any) -> Condition:
    return Condition(ParamType.STATIC, Op.EQUAL_TO, encode([abi_type], [value]))


def avatar() -> Condition:
    """The parameter is the Safe (the modifier's avatar)."""
    return Condition(ParamType.STATIC, Op.EQUAL_TO_AVATAR)


def above(n: int) -> Condition:
    return Condition(ParamType.STATIC, Op.GREATER_THAN, encode(["uint256"], [n]))


def within(key: bytes) -> Condition:
    """The (uint) parameter is spent from allowance `key`."""
    return Condition(ParamType.STATIC, Op.WITHIN_ALLOWANCE, key)


def calls_within(key: bytes) -> Condition:
    """Each call spends one from allowance `key` (a child of the calldata `Matches`)."""
    return Condition(ParamType.NONE, Op.CALL_WITHIN_ALLOWANCE, key)


def array(*elements: Condition) -> Condition:
    """A dynamic array of exactly these elements."""
    return Condition(ParamType.ARRAY, Op.MATCHES, children=elements)


def fields(*members: Condition) -> Condition:
    """A tuple (struct) parameter of exactly these members, in order."""
    return Condition(ParamType.TUPLE, Op.MATCHES, children=members)


def call(*params: Condition) -> Condition:
    """The calldata's parameters, in order (trailing ones may be left out: anything)."""
    return Condition(ParamType.CALLDATA, Op.MATCHES, children=params)


def either(*branches: Condition) -> Condition:
    return Condition(ParamType.NONE, Op.OR, children=branches)


def flatten(root: Condition) -> list[tuple[int, int, int, bytes]]:
    """Breadth-first (parent, paramType, operator, compValue): `Roles.scopeFunction`'s input."""
    flat: list[tuple[int, int, int, bytes]] = []
    queue: deque[tuple[Condition, int]] = deque([(root, 0)])
    while queue:
        node, parent = queue.popleft()
        index = len(flat)
        flat.append((parent, int(node.param), int(node.op), node.value))
        queue.extend((child, index) for child in node.children)
    return flat


@dataclass(frozen=True)
class Allowance:
    """Refills to `refill` every `period` seconds (from timestamp 0: at 00:00 UTC for a day)."""

    key: bytes
    refill: int
    period: int = ONE_DAY

    @property
    def max_refill(self) -> int:
        return self.refill


@dataclass(frozen=True)
class Scope:
    """`signature` on `target`; `condition` None allows it with any parameters."""

    target: str
    signature: str
    condition: Condition | None = None

    @property
    def selector(self) -> bytes:
        return keccak(text=self.signature)[:4]

    @property
    def types(self) -> list[str]:
        inside = self.signature[self.signature.index("(") + 1 : -1]
        return _split(inside)


@dataclass(frozen=True)
class RolePlan:
    role: bytes
    members: tuple[str, ...]
    scopes: tuple[Scope, ...]
    allowances: tuple[Allowance, ...] = field(default=())

    def targets(self) -> list[str]:
        return sorted({to_checksum_address(s.target) for s in self.scopes})

    def describe(self) -> dict[str, Any]:
        """The plan as plain JSON-able data (`ballast custody roles` prints it)."""
        return {
            "role": self.role.rstrip(b"\0").decode(),
            "members": list(self.members),
            "functions": [
                {"target": s.target, "function": s.signature, "selector": "0x" + s.selector.hex(),
                 "conditions": None if s.condition is None else [
                     f"{p} {ParamType(t).name} {Op(o).name}" + (f" 0x{v.hex()}" if v else "")
                     for p, t, o, v in flatten(s.condition)]}
                for s in self.scopes
            ],
            "allowances": [
                {"key": a.key.rstrip(b"\0").decode(), "refill": str(a.refill),
                 "period_seconds": a.period}
                for a in self.allowances
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.describe(), indent=2)


def _split(types: str) -> list[str]:
    """'uint256,(address,uint8)[],bytes' -> its top-level types."""
    out: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(types):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            out.append(types[start:i])
            start = i + 1
    if types:
        out.append(types[start:])
    return out


def refusal(
    plan: RolePlan, avatar_address: str, to: str, data: bytes, value: int = 0
) -> str | None:
    """Why the role may not make this call (None: it may), decided as the modifier would."""
    if value:
        return "sending value is not allowed to this role"
    if len(data) < 4:
        return "no function selector"
    target = to_checksum_address(to)
    scopes = [s for s in plan.scopes if to_checksum_address(s.target) == target]
    if not scopes:
        return f"target {target} is not allowed"
    scope = next((s for s in scopes if s.selector == data[:4]), None)
    if scope is None:
        return f"function 0x{data[:4].hex()} on {target} is not allowed"
    if scope.condition is None:
        return None
    try:
        values = list(decode(scope.types, data[4:]))
    except Exception as err:  # eth_abi's decoding errors have no common base
        return f"{scope.signature}: calldata does not decode ({type(err).__name__})"
    ceilings = {a.key: a.max_refill for a in plan.allowances}
    ctx = _Ctx(to_checksum_address(avatar_address), ceilings)
    why = ctx.check_calldata(scope.condition, scope.types, values)
    return None if why is None else f"{scope.signature}: {why}"


@dataclass(frozen=True)
class _Ctx:
    avatar: str
    ceilings: dict[bytes, int]

    def check_calldata(self, c: Condition, types: list[str], values: list[Any]) -> str | None:
        if c.op is Op.OR:
            reasons = [self.check_calldata(b, types, values) for b in c.children]
            return None if any(r is None for r in reasons) else "no branch matches: " + "; ".join(
                r for r in reasons if r)
        if c.op is Op.PASS:
            return None
        if c.op is not Op.MATCHES:
            return f"unsupported calldata operator {c.op.name}"
        structural = [ch for ch in c.children if ch.param is not ParamType.NONE or ch.op is Op.OR]
        for child in c.children:
            if child.op is Op.CALL_WITHIN_ALLOWANCE and self.ceilings.get(child.value, 0) < 1:
                return "call allowance is zero"
        if len(structural) > len(values):
            return "more conditions than parameters"
        for i, (child, abi_type, v) in enumerate(zip(structural, types, values, strict=False)):
            why = self.check(child, abi_type, v)
            if why is not None:
                return f"parameter {i}: {why}"
        return None

    def check(self, c: Condition, abi_type: str, v: Any) -> str | None:
        if c.op is Op.PASS:
            return None
        if c.op is Op.OR:
            reasons = [self.check(b, abi_type, v) for b in c.children]
            return None if any(r is None for r in reasons) else " or ".join(r for r in reasons if r)
        if c.op is Op.AND:
            return next((r for b in c.children if (r := self.check(b, abi_type, v))), None)
        if c.op is Op.EQUAL_TO:
            return None if encode([abi_type], [v]) == c.value else f"{v} is not the allowed value"
        if c.op is Op.EQUAL_TO_AVATAR:
            return None if to_checksum_address(v) == self.avatar else f"{v} is not the Safe"
        if c.op in (Op.GREATER_THAN, Op.LESS_THAN):
            bound = int.from_bytes(c.value, "big")
            ok = int(v) > bound if c.op is Op.GREATER_THAN else int(v) < bound
            return None if ok else f"{v} is not {c.op.name.lower().replace('_', ' ')} {bound}"
        if c.op is Op.WITHIN_ALLOWANCE:
            ceiling = self.ceilings.get(c.value, 0)
            return None if int(v) <= ceiling else f"{v} is above the daily allowance {ceiling}"
        if c.op is Op.MATCHES and c.param is ParamType.TUPLE:
            members = _split(abi_type[1:-1])
            return next((f".{i} {r}" for i, (ch, t, x) in enumerate(zip(c.children, members, v,
                                                                          strict=True))
                         if (r := self.check(ch, t, x))), None)
        if c.op is Op.MATCHES and c.param is ParamType.ARRAY:
            element = abi_type[: abi_type.rindex("[")]
            if len(v) != len(c.children):
                return f"array of {len(v)}, allowed {len(c.children)}"
            return next((f"[{i}] {r}" for i, (ch, x) in enumerate(zip(c.children, v, strict=True))
                         if (r := self.check(ch, element, x))), None)
        return f"unsupported operator {c.op.name}"
