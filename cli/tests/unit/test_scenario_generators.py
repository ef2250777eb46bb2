"""The scenario generators are pure: what each scenario sets, where and when, without a chain."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from ballast.cli.scenarios.driver import FEE_DEN, FEE_NUM, amount_in_for_ratio
from ballast.cli.scenarios.generators import SCENARIOS, generate, tier
from ballast.cli.scenarios.model import SOURCES, ScenarioParams
from ballast.devnet.prices import PRICES_USD

START = dict(PRICES_USD)


def params(steps: int = 12, seed: int = 0) -> ScenarioParams:
    return ScenarioParams(start=START, anchor=START, steps=steps, interval=60, seed=seed)


def pstr(step_targets: object, source: str) -> Decimal | None:
    return step_targets.get(source, {}).get("PSTR")  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_generate__same_seed__same_steps(name: str) -> None:
    assert generate(name, params(seed=7)) == generate(name, params(seed=7))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_generate__any_scenario__steps_in_time_order_with_eight_decimal_prices(name: str) -> None:
    steps = generate(name, params(steps=9))
    assert [s.index for s in steps] == list(range(9))
    assert all(b.at > a.at for a, b in zip(steps, steps[1:], strict=False))
    for step in steps:
        for prices in step.targets.values():
            assert all(p == p.quantize(Decimal("0.00000001")) and p > 0 for p in prices.values())


def test_generate__calm_different_seeds__different_walks() -> None:
    assert generate("calm", params(seed=1)) != generate("calm", params(seed=2))


def test_generate__unknown_name__keyerror_lists_the_known() -> None:
    with pytest.raises(KeyError, match="crash"):
        generate("moon", params())


def test_crash__six_steps__pstr_falls_35pct_on_every_source_through_tiers_1_2_3() -> None:
    steps = generate("crash", params(steps=6))
    tiers_seen = []
    for step in steps:
        prices = {source: pstr(step.targets, source) for source in SOURCES}
        assert len(set(prices.values())) == 1
        drawdown = 1 - prices["aggregator"] / START["PSTR"]  # type: ignore[operator]
        tiers_seen.append(tier(drawdown))
    assert tiers_seen == sorted(tiers_seen)
    assert {1, 2, 3} <= set(tiers_seen)
    assert pstr(steps[-1].targets, "dex") == Decimal("0.65")


def test_crash__any_step__other_symbols_held_at_start() -> None:
    for step in generate("crash", params()):
        for source in SOURCES:
            for symbol in ("PUMP", "CORE", "BTC"):
                assert step.targets[source][symbol] == START[symbol]


def test_slow_bleed__last_step__pstr_exactly_20pct_down() -> None:
    last = generate("slow-bleed", params(steps=10))[-1]
    assert all(pstr(last.targets, s) == Decimal("0.8") for s in SOURCES)


def test_flash_spike__middle__dex_only_plus_50pct_then_back_one_second_later() -> None:
    steps = generate("flash-spike", params(steps=6))
    spikes = [s for s in steps if "spike" in s.tags]
    assert len(spikes) == 1
    spike = spikes[0]
    back = steps[spike.index + 1]
    assert pstr(spike.targets, "dex") == Decimal("1.5")
    assert pstr(spike.targets, "aggregator") == pstr(spike.targets, "pyth") == Decimal("1")
    assert back.at == spike.at + 1
    assert pstr(back.targets, "dex") == Decimal("1")


def test_oracle_attack__after_first_step__dex_held_50pct_above_the_oracles() -> None:
    steps = generate("oracle-attack", params(steps=4))
    assert pstr(steps[0].targets, "dex") == Decimal("1")
    for step in steps[1:]:
        assert pstr(step.targets, "dex") == Decimal("1.5")
        assert pstr(step.targets, "aggregator") == pstr(step.targets, "pyth") == Decimal("1")


def test_stale_feed__after_first_step__pstr_aggregator_absent_everything_else_written() -> None:
    steps = generate("stale-feed", params(steps=5))
    assert pstr(steps[0].targets, "aggregator") is not None
    for step in steps[1:]:
        assert pstr(step.targets, "aggregator") is None
        assert pstr(step.targets, "pyth") is not None
        assert set(step.targets["aggregator"]) == {"PUMP", "CORE", "BTC"}


def test_tier__boundaries__inclusive_as_the_seed_says() -> None:
    assert [tier(Decimal(x)) for x in ("0.1499", "0.15", "0.20", "0.2999", "0.30")] == [
        0, 1, 2, 2, 3]


def test_amount_in_for_ratio__swap_of_that_size__lands_on_the_target_within_one_unit() -> None:
    r_in, r_out = 1_000_000 * 10**18, 1_000_000 * 10**6
    target = Fraction(65, 100) * Fraction(10**6, 10**18)
    x = amount_in_for_ratio(r_in, r_out, target)

    def after(amount: int) -> Fraction:
        out = FEE_NUM * amount * r_out // (FEE_DEN * r_in + FEE_NUM * amount)
        return Fraction(r_out - out, r_in + amount)

    assert after(x) <= target < after(x - 1)


def test_amount_in_for_ratio__already_below_target__zero() -> None:
    assert amount_in_for_ratio(100, 50, Fraction(1)) == 0


def test_pump__every_step__market_sources_pumped_to_10x_aggregator_held() -> None:
    steps = generate("pump", params(steps=10))
    previous = START["PSTR"]
    for step in steps:
        pyth, dex = pstr(step.targets, "pyth"), pstr(step.targets, "dex")
        assert pyth == dex and pyth is not None and pyth > previous
        assert pstr(step.targets, "aggregator") == START["PSTR"]
        assert abs(pyth / previous - Decimal("1.2589")) < Decimal("0.001")  # 10 ** (1 / 10)
        previous = pyth
    assert previous == START["PSTR"] * 10
