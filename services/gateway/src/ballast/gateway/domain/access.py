"""Who may read and do what: bearer tokens, roles, readable subjects.

Tokens are random secrets handed to people and programs; the gateway keeps only their SHA-256
(a token has 256 bits of entropy, so a fast hash is enough: nothing to brute-force), compared in
constant time. Two roles: `viewer` reads; `operator` reads, also `control.*`, and may post
control commands, which carry the token's identity as `issued_by` (the intervention service
accepts commands only from its configured operator identities).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ballast.gateway.domain.filters import FilterError, is_subset

HASH_PREFIX = "sha256:"


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"


VIEWER_SUBJECTS: tuple[str, ...] = (
    "prices.>", "trades.>", "treasury.state", "health.score", "risk.report", "liquidity.state",
    "performance.report", "intervention.>", "automation.>", "etf.>", "governance.proposals",
    "custody.proposals", "validators.>", "alerts.*", "heartbeat.*",
)
"""What a viewer may stream: every fact on the bus except operator commands and dead letters."""

OPERATOR_SUBJECTS: tuple[str, ...] = (*VIEWER_SUBJECTS, "control.*", "deadletter.>")

DEFAULT_READABLE: Mapping[Role, tuple[str, ...]] = {
    Role.VIEWER: VIEWER_SUBJECTS,
    Role.OPERATOR: OPERATOR_SUBJECTS,
}


@dataclass(frozen=True)
class Principal:
    """The caller a token stands for: `name` becomes `issued_by` on control commands."""

    name: str
    role: Role

    @property
    def may_control(self) -> bool:
        return self.role is Role.OPERATOR


@dataclass(frozen=True)
class TokenEntry:
    name: str
    role: Role
    digest: str  # hex SHA-256 of the token


def hash_token(token: str) -> str:
    """What the token file stores for `token`: `sha256:<hex>`."""
    return HASH_PREFIX + hashlib.sha256(token.encode()).hexdigest()


def parse_digest(value: str) -> str:
    if not value.startswith(HASH_PREFIX) or len(value) != len(HASH_PREFIX) + 64:
        raise ValueError("a token hash is 'sha256:' and 64 hex digits (never the token itself)")
    digest = value[len(HASH_PREFIX):].lower()
    int(digest, 16)
    return digest


class TokenTable:
    """The known tokens by hash; `authenticate` never reveals which part failed."""

    def __init__(self, entries: Iterable[TokenEntry]) -> None:
        self.entries = tuple(entries)

    def authenticate(self, token: str | None) -> Principal | None:
        if not token:
            return None
        digest = hashlib.sha256(token.encode()).hexdigest()
        found: Principal | None = None
        for entry in self.entries:  # every entry compared: no early exit timing
            if hmac.compare_digest(entry.digest, digest):
                found = Principal(entry.name, entry.role)
        return found


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (None if absent or malformed)."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def check_readable(
    filters: Iterable[str], role: Role, readable: Mapping[Role, tuple[str, ...]] = DEFAULT_READABLE
) -> None:
    """Raise FilterError naming the first filter not inside what `role` may read."""
    allowed = readable.get(role, ())
    for pattern in filters:
        if not any(is_subset(pattern, outer) for outer in allowed):
            raise FilterError(f"{pattern!r}: not readable with role {role.value}")
