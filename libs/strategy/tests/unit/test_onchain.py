"""The strategy's numbers in the StrategyParameters contract's form, and the live holder."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ballast.common.messages import StrategyParameterChanged
from ballast.strategy.onchain import (
    WAD,
    LiveParams,
    bounds,
    encode,
    from_wad,
    key_bytes,
    key_name,
)
from ballast.strategy.params import StrategyParams


def test_encode__seed_params__every_setting_and_tier_in_wad() -> None:
    values = encode(StrategyParams())

    assert values["trigger_threshold"] == 85 * WAD // 100
    assert values["cooldown_hours"] == 48 * WAD
    assert values["max_daily_interventions"] == WAD
    assert values["tier1_drawdown"] == 15 * WAD // 100
    assert values["tier3_share"] == 40 * WAD // 100


def test_key__ascii_padded__round_trips_through_hex() -> None:
    raw = key_bytes("trigger_threshold")

    assert len(raw) == 32 and raw.startswith(b"trigger_threshold\0")
    assert key_name("0x" + raw.hex()) == "trigger_threshold"
    assert key_name(raw) == "trigger_threshold"


def test_bounds__from_the_settings_constraints() -> None:
    assert bounds("trigger_threshold") == (1, WAD - 1)  # gt=0, lt=1
    assert bounds("max_deployment") == (1, WAD)  # gt=0, le=1
    assert bounds("tier1_drawdown") == (0, WAD)
    with pytest.raises(KeyError):
        bounds("no_such_key")


def test_live__chain_equal_to_seed__params_unchanged_source_chain() -> None:
    live = LiveParams(StrategyParams())

    assert live.load(encode(StrategyParams())) == []
    assert live.params == StrategyParams()
    assert live.source == "chain"


def test_live__trigger_alone__refused_until_tier_one_agrees() -> None:
    live = LiveParams(StrategyParams())
    live.load(encode(StrategyParams()))

    refused = live.change("trigger_threshold", 90 * WAD // 100)
    assert refused and "tier 1" in refused[0]
    assert live.params.trigger_threshold == Decimal("0.85")

    assert live.change("tier1_drawdown", 10 * WAD // 100) == []
    assert live.params.trigger_threshold == Decimal("0.9")
    assert min(t.min_drawdown for t in live.params.tiers) == Decimal("0.1")
    assert live.params.fingerprint() != StrategyParams().fingerprint()


def test_live__count_not_whole_or_out_of_bounds__refused() -> None:
    live = LiveParams(StrategyParams())

    assert live.change("max_daily_interventions", 3 * WAD // 2)
    assert live.params.max_daily_interventions == 1
    live.chain.clear()
    assert live.change("max_pump_concentration", WAD)  # lt=1
    assert live.params.max_pump_concentration == Decimal("0.80")


def test_live__unknown_key__ignored() -> None:
    live = LiveParams(StrategyParams())

    assert live.change("someone_elses_key", 7) == []
    assert live.params == StrategyParams()
    assert from_wad(7) == Decimal(7) / WAD


def _event(key: str, old: int, new: int, block: int, *, removed: bool = False,
           ) -> StrategyParameterChanged:
    return StrategyParameterChanged(
        key=key, old_value=old, new_value=new, value=from_wad(new), contract="0x" + "11" * 20,
        tx_hash="0x" + "22" * 32, log_index=0, block_number=block, block_hash="0x" + "33" * 32,
        removed=removed, observed_at=datetime.now(UTC))


def test_live__events__older_than_the_read_skipped_newer_applied_removed_undone() -> None:
    live = LiveParams(StrategyParams())
    live.load(encode(StrategyParams()), block=100)
    old, new = 48 * WAD, 24 * WAD

    assert live.on_changed(_event("cooldown_hours", old, new, 100)) is None
    assert live.params.cooldown_hours == 48
    assert live.on_changed(_event("cooldown_hours", old, new, 101)) == []
    assert live.params.cooldown_hours == 24
    assert live.on_changed(_event("cooldown_hours", new, 12 * WAD, 100 + 0)) is None
    assert live.on_changed(_event("cooldown_hours", old, new, 101, removed=True)) == []
    assert live.params.cooldown_hours == 48


def test_live__chain_holds_the_defaults__same_fingerprint_as_the_environment() -> None:
    live = LiveParams(StrategyParams())
    live.load(encode(StrategyParams()))

    # 0.90 from the environment, 0.9 from 9e17: one setting, one fingerprint
    assert str(live.params.treasury_allocation) != str(StrategyParams().treasury_allocation)
    assert live.params.fingerprint() == StrategyParams().fingerprint()
