"""The token file: a JSON list of `{"name", "role", "hash"}` (a Kubernetes secret mount).

Read at start; a bad file stops the gateway with one line naming the entry (never a token:
the file holds only hashes). No file means no tokens, so no data (issue 19: no token, no data).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from ballast.gateway.domain.access import Role, TokenEntry, TokenTable, hash_token, parse_digest


def load_tokens(path: Path | None) -> TokenTable:
    if path is None:
        return TokenTable(())
    try:
        raw: Any = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ValueError(f"tokens file {path}: {err}") from None
    if not isinstance(raw, list):
        raise ValueError(f"tokens file {path}: a JSON list of {{name, role, hash}}")
    entries: list[TokenEntry] = []
    for i, item in enumerate(raw):  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
        try:
            entries.append(TokenEntry(
                name=str(item["name"]), role=Role(item["role"]), digest=parse_digest(item["hash"])
            ))
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"tokens file {path}: entry {i}: {err}") from None
    return TokenTable(entries)


def new_token(name: str, role: Role) -> tuple[str, dict[str, str]]:
    """A fresh token (256 random bits) and its entry for the tokens file."""
    token = secrets.token_urlsafe(32)
    return token, {"name": name, "role": role.value, "hash": hash_token(token)}


def main() -> None:
    """`ballast-gateway-token NAME viewer|operator`: the token on stderr (shown once, give it to
    its holder), its entry for the tokens file on stdout."""
    import sys  # noqa: PLC0415

    if len(sys.argv) != 3 or sys.argv[2] not in {r.value for r in Role}:
        raise SystemExit("usage: ballast-gateway-token NAME viewer|operator")
    token, entry = new_token(sys.argv[1], Role(sys.argv[2]))
    print(f"token for {sys.argv[1]} (shown once): {token}", file=sys.stderr)
    print(json.dumps(entry))
