"""Settings: only the RPC URL is required, Core's addresses by default, our StakingManager from
the deployment file `ballast up` names, and one line then exit 2 when something is wrong."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ballast.common.settings import load_settings
from ballast.validator_monitor.settings import ValidatorMonitorSettings

SM = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("BALLAST_"):
            monkeypatch.delenv(key)


def test_settings__only_rpc_url__core_system_addresses_and_no_delegator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BALLAST_VALIDATOR_MONITOR_RPC_URL", "https://rpc.coredao.org")
    monkeypatch.setenv("BALLAST_VALIDATOR_MONITOR_DATABASE_URL", "postgresql://x@y/z")
    s = load_settings(ValidatorMonitorSettings)
    assert s.candidate_hub == "0x0000000000000000000000000000000000001005"
    assert s.validator_set.endswith("1000") and s.slash_indicator.endswith("1001")
    assert s.stake_hub.endswith("1010") and s.core_agent.endswith("1011")
    assert s.staking_manager is None and s.near_threshold_fraction == 0.8


def test_settings__deployment_file__staking_manager_read_from_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "deployment.json"
    path.write_text(json.dumps({"etf": {"staking_manager": SM}}))
    monkeypatch.setenv("BALLAST_VALIDATOR_MONITOR_DEPLOYMENT_FILE", str(path))
    s = ValidatorMonitorSettings(rpc_url="http://127.0.0.1:8545", database_url="postgresql://x")
    assert s.staking_manager == SM


def test_settings__deployment_file_without_manager__error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "deployment.json"
    path.write_text("{}")
    with pytest.raises(ValueError, match="etf.staking_manager"):
        ValidatorMonitorSettings(rpc_url="http://x:1", database_url="postgresql://x",
                                 deployment_file=path)


def test_main__rpc_url_missing__exits_2_with_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "BALLAST_VALIDATOR_MONITOR_DATABASE_URL": "postgresql://x"}
    done = subprocess.run([sys.executable, "-m", "ballast.validator_monitor"], env=env,
                          capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "BALLAST_VALIDATOR_MONITOR_RPC_URL is required" in lines[0]
