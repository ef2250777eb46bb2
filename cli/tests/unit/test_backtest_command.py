from __future__ import annotations

import json
from pathlib import Path

import pytest

from ballast.cli.main import main


def test_backtest_command__crash_scenario__summary_and_report_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["backtest", "--scenario", "crash", "--days", "4", "--out", str(tmp_path),
              "--set", "pool_pump=10000000", "--set", "pool_pstr=5000000"])
    assert exit_.value.code == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["interventions_confirmed"] >= 1
    assert summary["market"]["pool_pump"] == "10000000"
    assert (tmp_path / "report.html").stat().st_size > 10_000
    assert json.loads(capsys.readouterr().out)["interventions_confirmed"] >= 1


def test_backtest_command__contradictory_setting__one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["backtest", "--scenario", "calm", "--out", str(tmp_path),
              "--set", "trigger_threshold=0.9"])
    assert exit_.value.code == 2
    assert "must agree" in capsys.readouterr().err
    assert not (tmp_path / "summary.json").exists()
