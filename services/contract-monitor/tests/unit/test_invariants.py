"""The four ETF invariants on hand-made readings (StakeBasket's own arithmetic)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

from ballast.contract_monitor.domain.etf import build_metrics
from ballast.contract_monitor.domain.invariants import (
    aum_parts,
    nav_monotonic,
    queue_covered,
    supply_nav,
)
from ballast.contract_monitor.domain.model import EtfReading, FeedRaw, ValidatorAllocation

E18, E8 = 10**18, 10**8
TOL = Decimal("0.000001")


def reading(
    *, core_price: int = 12 * E18 // 10, btc_price: int = 65_000 * E18, staked: int = 8_000 * E18,
    lstbtc: int = 8 * E8 // 10, rewards: int = 0, basket_core: int = 2_000 * E18,
    basket_btc: int = 2 * E8 // 10, queued_core: int = 0, queued_btc: int = 0,
    supply: int | None = None, block: int = 100,
) -> EtfReading:
    """A consistent reading computed the way StakeBasket._breakdown does."""
    core_staked_usd = staked * core_price // E18
    lstbtc_usd = lstbtc * btc_price // E8
    rewards_usd = rewards * core_price // E18
    liquidity_usd = basket_core * core_price // E18 + basket_btc * btc_price // E8
    liability = queued_core * core_price // E18 + queued_btc * btc_price // E8
    total = core_staked_usd + lstbtc_usd + rewards_usd + liquidity_usd - liability
    supply = total if supply is None else supply
    nav = (total + 10**9) * E18 // (supply + 10**9)
    return EtfReading(
        block_number=block, block_timestamp=datetime(2026, 1, 1, tzinfo=UTC),
        core_price=core_price, btc_price=btc_price, core_staked_usd=core_staked_usd,
        lstbtc_usd=lstbtc_usd, rewards_usd=rewards_usd, liquidity_usd=liquidity_usd,
        queued_liability_usd=liability, total_usd=total, nav_per_share=nav, supply=supply,
        staked_core_raw=staked, lstbtc_raw=lstbtc, pending_rewards_raw=rewards,
        basket_core_raw=basket_core, basket_corebtc_raw=basket_btc, queued_core_raw=queued_core,
        queued_btc_raw=queued_btc, queue_length=1 if queued_core or queued_btc else 0,
        oldest_requested_at=None, free_liquidity_usd=liquidity_usd - liability,
        max_deviation_bps=0, target_core_bps=6000, target_btc_bps=4000,
        allocation=[ValidatorAllocation("0x" + "11" * 20, staked, 10_000, 10_000)],
        feeds=[FeedRaw("CORE", True, core_price, 1_767_225_000),
               FeedRaw("BTC", False, 0, 0, "StalePrice")],
    )


def test_aum_parts__consistent_breakdown__ok() -> None:
    assert aum_parts(reading(queued_core=500 * E18), TOL).ok


def test_aum_parts__total_off_by_one_dollar__fails_naming_the_total() -> None:
    r = reading()
    bad = dataclasses.replace(r, total_usd=r.total_usd + E18)
    check = aum_parts(bad, TOL)
    assert not check.ok and "total" in check.detail


def test_aum_parts__part_not_amount_times_price__fails_naming_the_part() -> None:
    r = reading()
    bad = dataclasses.replace(r, lstbtc_usd=r.lstbtc_usd + 10 * E18,
                              total_usd=r.total_usd + 10 * E18)
    check = aum_parts(bad, TOL)
    assert not check.ok and "lstbtc" in check.detail


def test_supply_nav__nav_from_virtual_offset__ok_within_virtual_slack() -> None:
    assert supply_nav(reading(supply=50_000 * E18), TOL).ok


def test_supply_nav__supply_doubled_without_aum__fails() -> None:
    r = reading()
    assert not supply_nav(dataclasses.replace(r, supply=r.supply * 2), TOL).ok


def test_nav_monotonic__price_fall_only__ok_at_fixed_prices() -> None:
    before = reading(block=1)
    after = reading(core_price=E18 // 2, btc_price=30_000 * E18, supply=before.supply, block=2)
    assert after.nav_per_share < before.nav_per_share
    assert nav_monotonic(after, before, TOL, []).ok


def test_nav_monotonic__stake_vanished_without_loss_event__fails() -> None:
    before = reading(block=1)
    after = reading(staked=7_000 * E18, supply=before.supply, block=2)
    check = nav_monotonic(after, before, TOL, [])
    assert not check.ok and "no loss event" in check.detail


def test_nav_monotonic__stake_vanished_with_loss_event__ok_and_explained() -> None:
    before = reading(block=1)
    after = reading(staked=7_000 * E18, supply=before.supply, block=2)
    check = nav_monotonic(after, before, TOL, ["ValidatorSlashed"])
    assert check.ok and "ValidatorSlashed" in check.detail


def test_nav_monotonic__rewards_accrued__ok() -> None:
    before = reading(block=1)
    assert nav_monotonic(reading(rewards=5 * E18, supply=before.supply), before, TOL, []).ok


def test_queue_covered__btc_owed_beyond_btc_held__fails_naming_the_asset() -> None:
    check = queue_covered(reading(queued_btc=2 * E8))
    assert not check.ok and "coreBTC" in check.detail
    assert queue_covered(reading(queued_core=9_000 * E18)).ok


def test_build_metrics__reading__usd_decimals_feeds_and_invariants() -> None:
    r = reading(queued_core=100 * E18)
    m = build_metrics(r, None, TOL, [])
    assert m.aum_usd == Decimal(r.total_usd) / Decimal(E18)
    assert m.queue_total_raw == 100 * E18 and m.queue_length == 1
    core, btc = m.feeds
    assert core.price == Decimal("1.2") and core.age_seconds == 1_767_225_600 - 1_767_225_000
    assert btc.price is None and btc.error == "StalePrice"
    assert [i.name for i in m.invariants] == ["nav_monotonic", "aum_parts", "supply_nav",
                                              "queue_covered"]
    assert all(i.ok for i in m.invariants)
