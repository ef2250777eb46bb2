from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ballast.backtest.config import Source, resolve, split_sets
from ballast.backtest.csvin import load_csv
from ballast.backtest.engine import Engine
from ballast.backtest.report import write, write_sweep
from ballast.backtest.sweep import parse_grid, sweep, write_csv
from ballast.backtest.tape import at

START = 29_347_200


def history(path: Path, days: int, crash_day: int | None = None, sources: bool = False) -> Path:
    """PSTR at $1 (then 40% down on `crash_day`), one row a minute, or three oracle sources."""
    lines = ["time,symbol,price,volume" + (",source" if sources else "")]
    for i in range(days * 1440):
        price = Decimal("0.60") if crash_day is not None and i >= crash_day * 1440 else Decimal(1)
        t = at(START + i).isoformat().replace("+00:00", "Z")
        if sources:
            for n, src in enumerate(("pyth", "chainlink", "dex")):
                lines.append(f"{t},PSTR,{price + Decimal(n) / 1000},{100 if src == 'dex' else 0},"
                             f"{src}")
        else:
            lines.append(f"{t},PSTR,{price},100")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_load_csv__minute_rows__one_bar_a_minute_and_constant_pump(tmp_path: Path) -> None:
    tape = load_csv(history(tmp_path / "h.csv", 3), warmup_days=1)
    assert tape.length == 3 * 1440 and tape.warmup == 1440
    assert tape.series["PSTR"].volumes[0] == 100 and not tape.series["PSTR"].sources


def test_load_csv__bad_rows__line_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time,symbol,price,volume\n2025-01-01T00:00:00Z,PSTR,-1,3\n")
    with pytest.raises(ValueError, match="line 2"):
        load_csv(bad)
    bad.write_text("time,symbol,price\n")
    with pytest.raises(ValueError, match="missing column"):
        load_csv(bad)
    bad.write_text("time,symbol,price,volume\n2025-01-01T00:00:00,PSTR,1,3\n")
    with pytest.raises(ValueError, match="time zone"):
        load_csv(bad)


def test_engine__csv_with_sources__oracle_consensus_and_an_intervention(tmp_path: Path) -> None:
    tape = load_csv(history(tmp_path / "h.csv", 4, crash_day=2, sources=True), warmup_days=1)
    assert set(tape.series["PSTR"].sources) == {"pyth", "chainlink", "dex"}
    params, account = resolve({})
    result = Engine(tape, params, account).run()
    assert [x.tier for x in result.acted] == [3]
    # the 40% jump is held DEGRADED by the oracle's jump guard for a minute, then confirmed
    first = result.interventions[0].decided_at
    assert first == at(START + 2 * 1440) + timedelta(minutes=1)


def test_resolve__set_keys__strategy_validated_and_market_typed() -> None:
    params, account = resolve(split_sets(["max_deployment=0.3", "pool_pump=4000000",
                                          "accumulate=false", "fee_bps=5"]))
    assert params.max_deployment == Decimal("0.3")
    assert account.pool_pump == 4_000_000 and account.accumulate is False and account.fee_bps == 5
    with pytest.raises(ValueError, match="unknown key"):
        split_sets(["nope=1"])
    with pytest.raises(ValueError, match="must agree"):
        resolve({"trigger_threshold": "0.9"})
    with pytest.raises(ValueError, match="not a valid"):
        resolve({"fee_bps": "x"})


def test_sweep__two_keys__a_row_per_point_and_a_heatmap(tmp_path: Path) -> None:
    source = Source(scenario="crash", days=4, warmup_days=30)
    grid = parse_grid(["max_deployment=0.2,0.4", "pool_pump=2000000,8000000"])
    rows = sweep(source, {}, grid, workers=2)
    assert len(rows) == 4 and all(r["error"] == "" for r in rows)
    assert {(r["max_deployment"], r["pool_pump"]) for r in rows} == {
        ("0.2", "2000000"), ("0.2", "8000000"), ("0.4", "2000000"), ("0.4", "8000000")}
    write_csv(rows, list(grid), tmp_path / "sweep.csv")
    write_sweep(rows, grid, "t", tmp_path)
    assert (tmp_path / "sweep.csv").read_text().count("\n") == 5
    assert "data:image/png;base64," in (tmp_path / "sweep.html").read_text()


def test_write__report__summary_json_and_self_contained_html(tmp_path: Path) -> None:
    result = Engine(Source(scenario="crash", days=4).tape(), *resolve({})).run()
    write(result, tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["interventions_confirmed"] >= 1
    page = (tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 1 and "<script" not in page
    assert 'src="http' not in page
