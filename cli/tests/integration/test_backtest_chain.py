"""`ballast backtest --chain`: the backtest decides with what governance has set in the
StrategyParameters contract (issue 21 "Control"), not only with the environment: a parameter
proposal passes on the devnet, and the next backtest's summary carries the new values."""

from __future__ import annotations

import json
from collections.abc import Generator
from decimal import Decimal
from pathlib import Path

import pytest

from ballast.cli.main import main
from ballast.devnet import Deployment
from ballast.testing.chain import Anvil
from ballast.testing.devnet import deployed_devnet
from ballast.testing.governance import Governance, parameter_change

E18 = 10**18
CHANGES = {"trigger_threshold": 90 * E18 // 100, "tier1_drawdown": 10 * E18 // 100}


@pytest.fixture(scope="module")
def governed(anvil: Anvil, tmp_path_factory: pytest.TempPathFactory,
             ) -> Generator[tuple[Deployment, Path]]:
    """The devnet with trigger_threshold 0.90 (and tier 1 from a 10% drawdown) voted in."""
    with deployed_devnet(anvil, tmp_path_factory.mktemp("governed")) as (deployment, path):
        gov = Governance(anvil, deployment)
        gov.pass_and_execute(parameter_change(deployment, CHANGES, "trigger at 90%"))
        yield deployment, path


def backtest(out: Path, *extra: str) -> tuple[int, dict[str, object]]:
    with pytest.raises(SystemExit) as exit_:
        main(["backtest", "--scenario", "calm", "--days", "1", "--warmup-days", "1",
              "--out", str(out), *extra])
    code = exit_.value.code
    assert isinstance(code, int)
    summary = out / "summary.json"
    return code, json.loads(summary.read_text()) if summary.exists() else {}


def test_backtest__chain__decides_with_the_governed_values(
    governed: tuple[Deployment, Path], anvil: Anvil, tmp_path: Path,
) -> None:
    _, path = governed
    code, plain = backtest(tmp_path / "env")
    assert code == 0
    code, chained = backtest(tmp_path / "chain", "--chain", anvil.rpc_url, "--deployment",
                             str(path))
    assert code == 0
    strategy = chained["strategy"]
    assert isinstance(strategy, dict)
    assert Decimal(strategy["trigger_threshold"]) == Decimal("0.9")
    assert Decimal(plain["strategy"]["trigger_threshold"]) == Decimal("0.85")  # type: ignore[index]
    assert chained["strategy_fingerprint"] != plain["strategy_fingerprint"]


def test_backtest__chain_then_set__the_override_wins(
    governed: tuple[Deployment, Path], anvil: Anvil, tmp_path: Path,
) -> None:
    _, path = governed
    code, summary = backtest(tmp_path, "--chain", anvil.rpc_url, "--deployment", str(path),
                             "--set", "cooldown_hours=12")
    assert code == 0
    strategy = summary["strategy"]
    assert isinstance(strategy, dict)
    assert Decimal(strategy["cooldown_hours"]) == 12
    assert Decimal(strategy["trigger_threshold"]) == Decimal("0.9")


def test_backtest__chain_unreachable__one_line_and_exit_2(
    governed: tuple[Deployment, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    _, path = governed
    code, summary = backtest(tmp_path, "--chain", "http://127.0.0.1:9", "--deployment", str(path))
    assert code == 2
    assert summary == {}
    err = capsys.readouterr().err
    assert "--chain http://127.0.0.1:9: cannot read StrategyParameters" in err


def test_backtest__deployment_missing__says_which_file(
    anvil: Anvil, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    code, _ = backtest(tmp_path, "--chain", anvil.rpc_url, "--deployment",
                       str(tmp_path / "nope.json"))
    assert code == 2
    assert "nope.json" in capsys.readouterr().err
