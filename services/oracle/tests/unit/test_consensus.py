"""Consensus rounds: filters, weighted median, deviation flags, quorum, jump guard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ballast.common.messages import ConsensusPrice, ConsensusStatus, PriceObservation, SourceFlag
from ballast.oracle.domain.consensus import SourceInput, compute, same_outcome
from ballast.oracle.domain.jump_guard import JumpState
from ballast.oracle.domain.policy import ConsensusConfig, SourcePolicy

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CONFIG = ConsensusConfig(min_sources=2)
POLICY = SourcePolicy(max_age=timedelta(seconds=60))


def obs(source: str, price: str, *, conf: str | None = None, age: float = 1.0,
        block: int | None = None) -> PriceObservation:
    published = NOW - timedelta(seconds=age)
    return PriceObservation(
        source=source, symbol="PSTR", price=Decimal(price),
        confidence=None if conf is None else Decimal(conf),
        published_at=published, observed_at=NOW, block_number=block,
    )


def inputs(*readings: PriceObservation, policy: SourcePolicy = POLICY) -> list[SourceInput]:
    return [SourceInput(r.source, policy, r) for r in readings]


def test_compute__three_agreeing_sources__ok_at_median() -> None:
    result = compute("PSTR", inputs(obs("pyth", "1.00"), obs("switchboard", "1.01"),
                                    obs("dex_twap", "1.02")), CONFIG, NOW, JumpState())
    price = result.price
    assert price.status is ConsensusStatus.OK
    assert price.price == Decimal("1.01")
    assert price.sources_used == 3
    assert price.max_deviation is not None and price.max_deviation < Decimal("0.01")


def test_compute__one_source_attacked__within_one_percent_and_flagged() -> None:
    result = compute("PSTR", inputs(obs("pyth", "1.000"), obs("switchboard", "1.004"),
                                    obs("dex_twap", "2.50")), CONFIG, NOW, JumpState())
    price = result.price
    assert price.status is ConsensusStatus.OK
    assert price.price is not None and abs(price.price - Decimal(1)) < Decimal("0.01")
    dex = next(s for s in price.sources if s.source == "dex_twap")
    assert dex.flags == [SourceFlag.DEVIANT] and not dex.used
    assert price.sources_used == 2


def test_compute__stale_source__dropped_and_degraded_when_quorum_lost() -> None:
    result = compute("PSTR", inputs(obs("pyth", "1.00"), obs("switchboard", "1.00", age=300)),
                     CONFIG, NOW, JumpState())
    price = result.price
    assert price.status is ConsensusStatus.DEGRADED
    stale = next(s for s in price.sources if s.source == "switchboard")
    assert stale.flags == [SourceFlag.STALE] and not stale.used
    assert price.reasons[0].startswith("quorum lost")


def test_compute__every_source_down__halted_without_price() -> None:
    items = [SourceInput("pyth", POLICY, None, down="timeout"),
             SourceInput("switchboard", POLICY, obs("switchboard", "1"), down="HTTP 500")]
    price = compute("PSTR", items, CONFIG, NOW, JumpState()).price
    assert price.status is ConsensusStatus.HALTED
    assert price.price is None and price.sources_used == 0
    assert all(s.flags == [SourceFlag.DOWN] for s in price.sources)
    assert any("HTTP 500" in r for r in price.reasons)


def test_compute__out_of_bounds_and_uncertain__both_dropped() -> None:
    policy = SourcePolicy(min_price=Decimal("0.5"), max_price=Decimal("2"),
                          max_conf_ratio=Decimal("0.01"))
    items = inputs(obs("a", "1.00", conf="0.001"), obs("b", "1.00", conf="0.05"),
                   obs("c", "5.00", conf="0.001"), obs("d", "1.00"), policy=policy)
    price = compute("PSTR", items, CONFIG, NOW, JumpState()).price
    flags = {s.source: s.flags for s in price.sources}
    assert flags == {"a": [], "b": [SourceFlag.UNCERTAIN], "c": [SourceFlag.OUT_OF_BOUNDS],
                     "d": []}
    assert price.status is ConsensusStatus.OK and price.sources_used == 2


def test_compute__dex_reading_from_head_block__not_used_until_next_block() -> None:
    policy = SourcePolicy(min_confirmations=1)
    items = [SourceInput("pyth", POLICY, obs("pyth", "1.00")),
             SourceInput("dex_twap", policy, obs("dex_twap", "1.00", block=100))]
    same = compute("PSTR", items, CONFIG, NOW, JumpState(), head_block=100).price
    later = compute("PSTR", items, CONFIG, NOW, JumpState(), head_block=101).price
    assert same.status is ConsensusStatus.DEGRADED
    assert SourceFlag.SAME_BLOCK in next(s for s in same.sources if s.source == "dex_twap").flags
    assert later.status is ConsensusStatus.OK


def test_compute__flash_spike__never_ok_at_spike_price() -> None:
    state = compute("PSTR", inputs(obs("a", "1.00", age=10), obs("b", "1.00", age=10)),
                    CONFIG, NOW, JumpState()).jump
    spike = compute("PSTR", inputs(obs("a", "1.50", age=5), obs("b", "1.50", age=5)),
                    CONFIG, NOW, state)
    assert spike.price.status is ConsensusStatus.DEGRADED
    assert "unconfirmed jump" in spike.price.reasons[0]
    again = compute("PSTR", inputs(obs("a", "1.50", age=5), obs("b", "1.50", age=5)),
                    CONFIG, NOW, spike.jump)  # heartbeat over the same readings
    assert again.price.status is ConsensusStatus.DEGRADED
    back = compute("PSTR", inputs(obs("a", "1.01", age=1), obs("b", "1.00", age=1)),
                   CONFIG, NOW, again.jump)
    assert back.price.status is ConsensusStatus.OK and back.price.price == Decimal("1.005")


def test_compute__jump_confirmed_by_newer_reading__ok_at_new_level() -> None:
    state = compute("PSTR", inputs(obs("a", "1.00", age=10), obs("b", "1.00", age=10)),
                    CONFIG, NOW, JumpState()).jump
    first = compute("PSTR", inputs(obs("a", "1.50", age=5), obs("b", "1.50", age=5)),
                    CONFIG, NOW, state)
    second = compute("PSTR", inputs(obs("a", "1.51", age=1), obs("b", "1.50", age=1)),
                     CONFIG, NOW, first.jump)
    assert first.price.status is ConsensusStatus.DEGRADED
    assert second.price.status is ConsensusStatus.OK
    assert second.jump.last_ok == second.price.price


def test_compute__jump_echoed_by_sources_within_a_second__still_unconfirmed() -> None:
    state = compute("PSTR", inputs(obs("a", "1.00", age=10), obs("b", "1.00", age=10)),
                    CONFIG, NOW, JumpState()).jump
    first = compute("PSTR", inputs(obs("a", "1.50", age=5.0), obs("b", "1.00", age=10),
                                   obs("c", "1.50", age=5.0)), CONFIG, NOW, state)
    echo = compute("PSTR", inputs(obs("a", "1.50", age=5.0), obs("b", "1.50", age=4.5),
                                  obs("c", "1.50", age=5.0)), CONFIG, NOW, first.jump)
    assert first.price.status is ConsensusStatus.DEGRADED
    assert echo.price.status is ConsensusStatus.DEGRADED


def test_compute__confidence_weight__pulls_towards_the_precise_sources() -> None:
    items = inputs(obs("a", "1.00", conf="0.0001"), obs("b", "1.00", conf="0.0001"),
                   obs("c", "1.02", conf="0.01"), obs("d", "1.02", conf="0.01"))
    weighted = compute("PSTR", items, CONFIG, NOW, JumpState()).price
    plain = compute("PSTR", items, ConsensusConfig(confidence_weight=Decimal(0)), NOW,
                    JumpState()).price
    assert plain.price == Decimal("1.01")
    # the weighted median sits on the precise pair; the blend pulls it a little towards the
    # precision-weighted mean, which the precise sources dominate
    assert weighted.price is not None and Decimal("1.00") < weighted.price < Decimal("1.0001")


def test_same_outcome__only_timestamps_differ__true() -> None:
    a = compute("PSTR", inputs(obs("a", "1"), obs("b", "1")), CONFIG, NOW, JumpState()).price
    b = compute("PSTR", inputs(obs("a", "1"), obs("b", "1")), CONFIG,
                NOW + timedelta(seconds=5), JumpState()).price
    c = compute("PSTR", inputs(obs("a", "2"), obs("b", "2")), CONFIG, NOW, JumpState()).price
    assert same_outcome(a, b) and not same_outcome(a, c) and not same_outcome(None, a)


def test_same_outcome__move_under_min_change__same_until_it_adds_up() -> None:
    def at(price: str) -> ConsensusPrice:
        return compute("PSTR", inputs(obs("a", price), obs("b", price)), CONFIG, NOW,
                       JumpState()).price

    published, bp = at("1"), Decimal("0.0001")
    assert same_outcome(published, at("1.00009"), bp)  # 0.9 bp from the last published
    assert not same_outcome(published, at("1.0001"), bp)  # 1 bp: new
    assert not same_outcome(published, at("0.9999"), bp)  # either way
    assert not same_outcome(published, at("1.00009"))  # without a minimum, any move is new
    halted = compute("PSTR", inputs(obs("a", "1")), CONFIG, NOW, JumpState()).price
    assert not same_outcome(published, halted, bp)  # a status change is always new
