"""The gateway of a local stack: its API port, a token for the person at the keyboard, its URL.

`ballast up` gives the gateway a tokens file with one operator token, named `local`, and tells
the intervention service and the oracle (an approved price move) to take control commands from
`local`. The token itself is written to
`.ballast/gateway/token` (mode 600) and never printed: `curl -H "Authorization: Bearer $(cat
.ballast/gateway/token)" <url>/api/v1/snapshot`.
"""

from __future__ import annotations

import json
from pathlib import Path

from ballast.cli.infra import pick_port
from ballast.cli.registry import ServiceSpec

LOCAL_OPERATOR = "local"
OPERATED = ("intervention", "oracle")  # the services with OPERATOR_IDENTITIES


def service_env(data_dir: Path, spec: ServiceSpec) -> dict[str, str]:
    """Environment for the gateway (its API port and tokens) and for the services that honour
    operator commands (the local operator identity); nothing for the others."""
    if spec.name in OPERATED:
        return {f"{spec.env_prefix}OPERATOR_IDENTITIES": json.dumps([LOCAL_OPERATOR])}
    if spec.api_port is None:
        return {}
    from ballast.gateway.adapters.tokens import new_token  # noqa: PLC0415
    from ballast.gateway.domain.access import Role  # noqa: PLC0415

    home = data_dir / "gateway"
    home.mkdir(parents=True, exist_ok=True)
    token, entry = new_token(LOCAL_OPERATOR, Role.OPERATOR)
    token_file = home / "token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    tokens = home / "tokens.json"
    tokens.write_text(json.dumps([entry], indent=2) + "\n")
    port = pick_port(spec.api_port)
    (home / "url").write_text(f"http://127.0.0.1:{port}\n")
    p = spec.env_prefix
    return {f"{p}API_PORT": str(port), f"{p}API_HOST": "127.0.0.1",
            f"{p}TOKENS_FILE": str(tokens)}


def url(data_dir: Path) -> str | None:
    path = data_dir / "gateway" / "url"
    return path.read_text().strip() if path.exists() else None


def describe(data_dir: Path) -> list[str]:
    """The lines `ballast up` prints about the gateway (none when it is not running here)."""
    base = url(data_dir)
    if base is None:
        return []
    return [
        f"  gateway API        {base}/api/v1/snapshot   (docs {base}/api/docs)",
        f"  gateway stream     {base.replace('http', 'ws', 1)}/api/v1/stream?subjects=prices.>",
        f"  operator token     {data_dir / 'gateway' / 'token'}  (Authorization: Bearer ...)",
    ]
