"""`ballast deploy devnet --safe` and `ballast custody roles [--apply]` as an operator types them:
the role printed is the one generated from the strategy settings, and applying it through the
Safe's owners puts the settings' daily allowance on chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Generator
from pathlib import Path

import pytest

from ballast.common.evm.artifacts import load_artifact
from ballast.devnet import load
from ballast.devnet.bot_role import PUMP_PER_DAY
from ballast.devnet.chain import connect, contract
from ballast.testing.chain import Anvil
from ballast.testing.devnet import reverted


def ballast(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ballast.cli.main", *args], capture_output=True,
                          text=True, timeout=180, check=False, env={**os.environ, **env})


@pytest.fixture
def deployed(anvil: Anvil, tmp_path: Path) -> Generator[Path]:
    out = tmp_path / "deployment.json"
    with reverted(anvil):
        result = ballast("deploy", "devnet", "--safe", "--rpc-url", anvil.rpc_url,
                         "--out", str(out))
        assert result.returncode == 0, result.stderr[-3000:]
        yield out


def test_custody_roles__printed_then_applied__the_settings_allowance_is_on_chain(
    deployed: Path, anvil: Anvil
) -> None:
    d = load(deployed)
    assert d.custody is not None
    w3 = connect(anvil.rpc_url)
    roles = contract(w3, load_artifact("Roles"), d.custody.roles)
    pump = contract(w3, load_artifact("TestToken"), d.tokens["PUMP"].address)
    held = pump.functions.balanceOf(d.custody.safe).call()
    assert roles.functions.allowances(PUMP_PER_DAY).call()[0] == held * 40 // 100  # seed 0.40

    common = ("custody", "roles", "--deployment", str(deployed), "--rpc-url", anvil.rpc_url)
    printed = ballast(*common, BALLAST_STRATEGY_MAX_DEPLOYMENT="0.2")
    assert printed.returncode == 0, printed.stderr[-3000:]
    plan = json.loads(printed.stdout)
    assert plan["members"] == [d.custody.bot]
    assert {"key": "pump-sold-per-day", "refill": str(held * 20 // 100),
            "period_seconds": 86_400} in plan["allowances"]
    assert roles.functions.allowances(PUMP_PER_DAY).call()[0] == held * 40 // 100  # not applied

    applied = ballast(*common, "--apply", BALLAST_STRATEGY_MAX_DEPLOYMENT="0.2")
    assert applied.returncode == 0, applied.stderr[-3000:]
    refill, max_refill, period, balance, _ = roles.functions.allowances(PUMP_PER_DAY).call()
    daily = held * 20 // 100
    assert (refill, max_refill, period, balance) == (daily, daily, 86_400, daily)
