"""Treasury settings: the seed's keys and defaults, and one line for a bad value."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from ballast.common.settings import load_settings
from ballast.treasury.domain.params import StrategyParams
from ballast.treasury.settings import TreasurySettings

pytestmark = pytest.mark.unit
SEED_KEYS = (
    "total_capital", "accumulation_period", "treasury_allocation", "liquidity_allocation",
    "trigger_threshold", "cooldown_hours", "min_reserve_ratio", "max_pump_concentration",
    "max_daily_interventions", "max_deployment", "min_rr_threshold",
)


@pytest.fixture(autouse=True)
def _database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALLAST_TREASURY_DATABASE_URL", "postgresql://x/y")


def test_settings__defaults__the_seed_config_values() -> None:
    s = load_settings(TreasurySettings)
    assert s.params() == StrategyParams()
    assert {k: getattr(s, k) for k in SEED_KEYS} == {
        "total_capital": D(1_000_000), "accumulation_period": 365,
        "treasury_allocation": D("0.90"), "liquidity_allocation": D("0.10"),
        "trigger_threshold": D("0.85"), "cooldown_hours": 48, "min_reserve_ratio": D("3.0"),
        "max_pump_concentration": D("0.80"), "max_daily_interventions": 1,
        "max_deployment": D("0.40"), "min_rr_threshold": D("1.5"),
    }


def test_settings__env_key__read_with_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALLAST_TREASURY_TOTAL_CAPITAL", "2000000")
    monkeypatch.setenv("BALLAST_TREASURY_LIQUIDITY_TARGETS", '{"PUMP-WCORE": "1"}')
    s = load_settings(TreasurySettings)
    assert s.total_capital == D(2_000_000)
    assert s.liquidity_targets == {"PUMP-WCORE": D(1)}


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("MAX_DEPLOYMENT", "1.5", "BALLAST_TREASURY_MAX_DEPLOYMENT"),
        ("ACCUMULATION_PERIOD", "0", "BALLAST_TREASURY_ACCUMULATION_PERIOD"),
        ("TRIGGER_THRESHOLD", "1", "BALLAST_TREASURY_TRIGGER_THRESHOLD"),
        ("TREASURY_ALLOCATION", "0.95", "liquidity_allocation must not exceed 1"),
        ("MIN_RR_THRESHOLD", "2.5", "min_rr_threshold < reduced_rr_threshold"),
    ],
)
def test_settings__bad_value__exits_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], key: str, value: str,
    says: str,
) -> None:
    monkeypatch.setenv(f"BALLAST_TREASURY_{key}", value)
    with pytest.raises(SystemExit) as exit_info:
        load_settings(TreasurySettings)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.count("\n") == 1 and says in err
