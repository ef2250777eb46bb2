"""The checks of issue #17: confidence blend, two sources, correlated move, emergency source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ballast.common.messages import ConsensusStatus, PriceObservation, SourceFlag
from ballast.oracle.domain.anchor import AnchorState, confirm
from ballast.oracle.domain.consensus import Round, SourceInput, compute
from ballast.oracle.domain.jump_guard import JumpState
from ballast.oracle.domain.policy import AnchorConfig, ConsensusConfig, SourcePolicy

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
POLICY = SourcePolicy(max_age=timedelta(seconds=60), max_conf_ratio=None)
ANCHORED = ConsensusConfig(min_sources=2, anchor=AnchorConfig(source="chainlink"),
                           jump_threshold=Decimal(1000))


def obs(source: str, price: str, *, conf: str | None = None, at: datetime = NOW,
        age: float = 1.0) -> SourceInput:
    reading = PriceObservation(
        source=source, symbol="PSTR", price=Decimal(price),
        confidence=None if conf is None else Decimal(conf),
        published_at=at - timedelta(seconds=age), observed_at=at,
    )
    return SourceInput(source, POLICY, reading)


def run(items: list[SourceInput], config: ConsensusConfig, *, at: datetime = NOW,
        previous: Round | None = None) -> Round:
    jump = previous.jump if previous else JumpState()
    anchor = previous.anchor if previous else AnchorState()
    return compute("PSTR", items, config, at, jump, anchor=anchor)


# ----------------------------------------------------------------------- confidence blend
def test_compute__three_sources_different_confidence__price_differs_from_plain_median() -> None:
    items = [obs("a", "1.00", conf="0.001"), obs("b", "1.01", conf="0.0001"),
             obs("c", "1.02", conf="0.01")]
    plain = run(items, ConsensusConfig(confidence_weight=Decimal(0))).price
    weighted = run(items, ConsensusConfig(confidence_weight=Decimal("0.3"))).price
    assert plain.price == Decimal("1.01")
    assert weighted.price is not None and weighted.price != plain.price
    # pulled towards a (precise, below) more than towards c (vague, above)
    assert Decimal("1.009") < weighted.price < Decimal("1.01")
    assert weighted.status is ConsensusStatus.OK


def test_compute__confidence_weight_zero__price_is_the_median() -> None:
    items = [obs("a", "1.00", conf="0.001"), obs("b", "1.01"), obs("c", "1.03", conf="0.0001")]
    assert run(items, ConsensusConfig(confidence_weight=Decimal(0))).price.price == Decimal("1.01")


# ----------------------------------------------------------------------- two sources
def test_compute__two_sources_ten_percent_apart__degraded_naming_the_check() -> None:
    result = run([obs("pyth", "1.00"), obs("dex", "1.10")], ConsensusConfig(min_sources=2))
    assert result.price.status is ConsensusStatus.DEGRADED
    assert result.price.reasons[0].startswith("two sources disagree: pyth and dex are 9.52%")
    assert result.checks == ("two_source_disagreement",)


def test_compute__two_sources_three_percent_apart__ok() -> None:
    result = run([obs("pyth", "1.00"), obs("dex", "1.03")], ConsensusConfig(min_sources=2))
    assert result.price.status is ConsensusStatus.OK and result.checks == ()


def test_compute__third_source_stale_leaves_two_apart__degraded() -> None:
    items = [obs("pyth", "1.00"), obs("dex", "1.08"), obs("chainlink", "1.00", age=600)]
    result = run(items, ConsensusConfig(min_sources=2))
    assert "two_source_disagreement" in result.checks


# ----------------------------------------------------------------------- correlated move
def market(price: str, anchor: str, *, at: datetime = NOW, anchor_age: float = 1.0
           ) -> list[SourceInput]:
    return [obs("pyth", price, at=at), obs("dex", price, at=at),
            obs("chainlink", anchor, at=at, age=anchor_age)]


def test_compute__market_pumped_anchor_not__degraded_correlated_move() -> None:
    result = run(market("1.30", "1.00"), ANCHORED)
    assert result.price.status is ConsensusStatus.DEGRADED
    assert result.price.reasons[0].startswith(
        "correlated move: consensus 1.30 is 30.00% from the anchor chainlink 1.00 (max 10.00%)")
    assert result.checks == ("correlated_move",)


def test_compute__market_crashes_and_anchor_follows__ok() -> None:
    result = run(market("0.65", "0.66"), ANCHORED)
    assert result.price.status is ConsensusStatus.OK and result.checks == ()


def test_compute__anchor_stale__bounds_nothing() -> None:
    result = run(market("0.40", "1.00", anchor_age=600), ANCHORED)
    assert result.price.status is ConsensusStatus.OK
    chainlink = next(s for s in result.price.sources if s.source == "chainlink")
    assert chainlink.flags == [SourceFlag.STALE]


def test_compute__move_held_for_the_hold_time__accepted_then_bounded_again() -> None:
    config = ConsensusConfig(min_sources=2, jump_threshold=Decimal(1000), anchor=AnchorConfig(
        source="chainlink", hold=timedelta(minutes=10)))
    first = run(market("1.30", "1.00"), config)
    later = NOW + timedelta(minutes=5)
    still = run(market("1.31", "1.00", at=later), config, at=later, previous=first)
    done = NOW + timedelta(minutes=10)
    held = run(market("1.30", "1.00", at=done), config, at=done, previous=still)
    further = run(market("1.60", "1.00", at=done), config, at=done, previous=held)
    assert [r.price.status for r in (first, still, held, further)] == [
        ConsensusStatus.DEGRADED, ConsensusStatus.DEGRADED, ConsensusStatus.OK,
        ConsensusStatus.DEGRADED]


def test_compute__pump_still_moving__hold_clock_restarts() -> None:
    config = ConsensusConfig(min_sources=2, jump_threshold=Decimal(1000), anchor=AnchorConfig(
        source="chainlink", hold=timedelta(minutes=10)))
    result: Round | None = None
    for minute, price in enumerate(("1.2", "1.4", "1.6", "1.8", "2.0", "2.2", "2.4", "2.6",
                                    "2.8", "3.0", "3.2", "3.4")):
        at = NOW + timedelta(minutes=minute)
        result = run(market(price, "1.00", at=at), config, at=at, previous=result)
        assert result.price.status is ConsensusStatus.DEGRADED, price


def test_compute__operator_confirmed_level__ok_until_it_moves_away() -> None:
    first = run(market("1.30", "1.00"), ANCHORED)
    confirmed = Round(first.price, first.jump, confirm(first.anchor, Decimal("1.30")))
    ok = run(market("1.32", "1.00"), ANCHORED, previous=confirmed)
    away = run(market("1.60", "1.00"), ANCHORED, previous=ok)
    assert ok.price.status is ConsensusStatus.OK
    assert away.price.status is ConsensusStatus.DEGRADED


def test_compute__slow_average_without_anchor__bounds_a_pump() -> None:
    config = ConsensusConfig(min_sources=2, jump_threshold=Decimal(1000),
                             anchor=AnchorConfig(slow_average=timedelta(hours=4)))
    result: Round | None = None
    for minute in range(30):
        at = NOW + timedelta(minutes=minute)
        result = run([obs("pyth", "1.00", at=at), obs("dex", "1.00", at=at)], config, at=at,
                     previous=result)
        assert result.price.status is ConsensusStatus.OK
    for minute, price in enumerate(("1.05", "1.10", "1.15", "1.20", "1.25", "1.30")):
        at = NOW + timedelta(minutes=30 + minute)
        result = run([obs("pyth", price, at=at), obs("dex", price, at=at)], config, at=at,
                     previous=result)
    assert result is not None and result.price.status is ConsensusStatus.DEGRADED
    assert result.price.reasons[0].startswith("correlated move: consensus 1.30 is ")
    assert "from the slow average" in result.price.reasons[0]


# ----------------------------------------------------------------------- emergency source
EMERGENCY = ConsensusConfig(min_sources=2, emergency_source="backup")


def test_compute__quorum_fine__emergency_source_not_consulted() -> None:
    result = run([obs("pyth", "1.00"), obs("dex", "1.01"), obs("backup", "5.00")], EMERGENCY)
    assert result.price.status is ConsensusStatus.OK
    assert result.price.emergency_source == ""
    assert [s.source for s in result.price.sources] == ["pyth", "dex"]
    assert result.price.price is not None and result.price.price < Decimal("1.01")


def test_compute__quorum_lost__emergency_source_consulted_and_named() -> None:
    items = [obs("pyth", "1.00"), obs("dex", "1.01", age=600), obs("backup", "1.00")]
    result = run(items, EMERGENCY)
    assert result.price.emergency_source == "backup"
    assert result.price.status is ConsensusStatus.OK
    assert result.price.reasons[0] == (
        "emergency source backup consulted: quorum lost: 1 of 2 sources")
    assert "emergency_source" in result.checks
    assert next(s for s in result.price.sources if s.source == "backup").used


def test_compute__every_source_down__emergency_gives_a_degraded_price() -> None:
    items = [obs("pyth", "1.00", age=600), obs("dex", "1.01", age=600), obs("backup", "1.02")]
    result = run(items, EMERGENCY)
    assert result.price.emergency_source == "backup"
    assert result.price.status is ConsensusStatus.DEGRADED
    assert result.price.price == Decimal("1.02")


def test_compute__emergency_source_stale__halted_saying_so() -> None:
    items = [obs("pyth", "1.00", age=600), obs("backup", "1.02", age=600)]
    result = run(items, EMERGENCY)
    assert result.price.status is ConsensusStatus.HALTED
    assert result.price.emergency_source == ""
    assert result.price.reasons[-1] == "emergency source backup unusable: stale"
