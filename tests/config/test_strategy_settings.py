"""One set of strategy settings: the treasury and the intervention service read every seed key
from the same BALLAST_STRATEGY_* variables, and a bad one stops either with one line."""

from __future__ import annotations

import pytest

from ballast.common.settings import load_settings
from ballast.intervention.settings import InterventionSettings
from ballast.treasury.settings import TreasurySettings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _databases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALLAST_TREASURY_DATABASE_URL", "postgresql://x/y")
    monkeypatch.setenv("BALLAST_INTERVENTION_DATABASE_URL", "postgresql://x/y")


def test_services__one_strategy_key_set__both_read_it_same_fingerprint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BALLAST_STRATEGY_COOLDOWN_HOURS", "24")
    treasury = load_settings(TreasurySettings).params()
    intervention = load_settings(InterventionSettings).policy().params
    assert treasury == intervention
    assert treasury.cooldown_hours == 24
    assert treasury.fingerprint() == intervention.fingerprint()


def test_services__old_per_service_key__not_a_strategy_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BALLAST_TREASURY_COOLDOWN_HOURS", "1")
    assert load_settings(TreasurySettings).params().cooldown_hours == 48


@pytest.mark.parametrize("settings", [TreasurySettings, InterventionSettings])
def test_services__contradictory_strategy__exit_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    settings: type[TreasurySettings] | type[InterventionSettings],
) -> None:
    monkeypatch.setenv("BALLAST_STRATEGY_TRIGGER_THRESHOLD", "0.80")
    with pytest.raises(SystemExit) as exit_info:
        load_settings(settings)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.count("\n") == 1 and "trigger_threshold 0.80" in err
