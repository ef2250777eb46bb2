"""`ballast up`'s gateway: an API port, an operator token only on disk, and the URLs it prints."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from ballast.cli import local_gateway
from ballast.cli.registry import SERVICES
from ballast.gateway.adapters.tokens import load_tokens


def test_service_env__gateway_intervention_oracle__token_on_disk_and_operator_identity(
    tmp_path: Path,
) -> None:
    specs = {s.name: s for s in SERVICES}
    env = local_gateway.service_env(tmp_path, specs["gateway"])
    token_file = tmp_path / "gateway" / "token"
    token = token_file.read_text().strip()
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    principal = load_tokens(Path(env["BALLAST_GATEWAY_TOKENS_FILE"])).authenticate(token)
    assert principal is not None and principal.name == local_gateway.LOCAL_OPERATOR
    assert principal.may_control
    port = env["BALLAST_GATEWAY_API_PORT"]
    lines = "\n".join(local_gateway.describe(tmp_path))
    assert f"http://127.0.0.1:{port}/api/v1/snapshot" in lines
    assert token not in lines  # the path of the token is printed, never the token
    intervention = local_gateway.service_env(tmp_path, specs["intervention"])
    assert json.loads(intervention["BALLAST_INTERVENTION_OPERATOR_IDENTITIES"]) == ["local"]
    oracle = local_gateway.service_env(tmp_path, specs["oracle"])
    assert json.loads(oracle["BALLAST_ORACLE_OPERATOR_IDENTITIES"]) == ["local"]
    assert local_gateway.service_env(tmp_path, specs["treasury"]) == {}
