"""Status bits, recommendation rules and the APY estimate: hand-computed tables."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ballast.validator_monitor.domain.apy import (
    estimate_apy,
    extrapolated_round_income,
    per_round_rate,
    weighted_apy,
)
from ballast.validator_monitor.domain.model import Thresholds, ValidatorReading
from ballast.validator_monitor.domain.rules import Action, Reason, recommend
from ballast.validator_monitor.domain.status import decode_status

OP = "0x000000000000000000000000000000000000A000"
T = Thresholds(misdemeanor=50, felony=150)


def reading(bits: int = 17, missed: int = 0, **kw: object) -> ValidatorReading:
    return ValidatorReading(OP, None, bits, 100, missed_blocks=missed, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bits", "flags", "electable"),
    [
        (17, (True, False, False, False, True), True),
        (1, (True, False, False, False, False), True),
        (21, (True, False, True, False, True), False),
        (3, (True, True, False, False, False), False),
        (9, (True, False, False, True, False), False),
        (0, (False, False, False, False, False), False),
        (31, (True, True, True, True, True), False),
    ],
)
def test_decode_status__core_status_words__flags_and_electability(
    bits: int, flags: tuple[bool, ...], electable: bool
) -> None:
    s = decode_status(bits)
    assert (s.is_candidate, s.is_inactive, s.is_jailed, s.is_margin_low, s.is_validator) == flags
    assert s.electable is electable


def test_decode_status__negative__raises() -> None:
    with pytest.raises(ValueError, match="negative"):
        decode_status(-1)


@pytest.mark.parametrize(
    ("bits", "missed", "start", "expected"),
    [
        (17, 0, 0, ()),
        (21, 0, 0, (Reason.JAILED,)),
        (19, 0, 0, (Reason.INACTIVE,)),
        (25, 0, 0, (Reason.MARGIN_LOW,)),
        (16, 0, 0, (Reason.NOT_CANDIDATE,)),
        (17, 40, 0, (Reason.MISSED_BLOCKS_RISING,)),  # ceil(0.8 * 50) = 40: near
        (17, 39, 0, ()),  # below near
        (17, 60, 60, ()),  # high but not rising this round: recovered
        (17, 61, 60, (Reason.MISSED_BLOCKS_RISING,)),
        (23, 45, 10, (Reason.JAILED, Reason.INACTIVE, Reason.MISSED_BLOCKS_RISING)),
    ],
)
def test_recommend__status_and_missed_blocks__move_away_with_every_reason(
    bits: int, missed: int, start: int, expected: tuple[Reason, ...]
) -> None:
    rec = recommend(reading(bits, missed), thresholds=T, round_start_missed=start,
                    near_fraction=0.8)
    assert rec.reasons == expected
    assert rec.action is (Action.MOVE_AWAY if expected else Action.HOLD)


def test_recommend__vanished_candidate__move_away_not_candidate() -> None:
    rec = recommend(None, thresholds=T, round_start_missed=0, near_fraction=0.8)
    assert rec.signature == ("move_away", ("not_candidate",))


def test_recommend__jail_map_set_without_bit__jailed() -> None:
    rec = recommend(reading(17, jailed_until_round=9), thresholds=T, round_start_missed=0,
                    near_fraction=0.8)
    assert rec.reasons == (Reason.JAILED,)


def test_per_round_rate__hand_computed__commission_and_score_share() -> None:
    # 1,000 income, 10% commission -> 900 to delegators; CORE holds 3/4 of the score -> 675;
    # over 10,000 CORE staked -> 0.0675 per CORE per round.
    rate = per_round_rate(1000, 100, core_stake_raw=10_000, score_total=40_000, score_core=30_000)
    assert rate == Decimal("0.0675")


def test_per_round_rate__no_candidate_map__core_score_stands_in_for_stake() -> None:
    rate = per_round_rate(1000, 0, core_stake_raw=None, score_total=0, score_core=100_000)
    assert rate == Decimal("0.01")


def test_per_round_rate__nothing_staked__none() -> None:
    assert per_round_rate(1000, 0, core_stake_raw=0, score_total=0, score_core=0) is None


def test_estimate_apy__daily_compounding__matches_closed_form() -> None:
    # 1e15 wei per round on 1e18 wei staked = 0.1% a day: 1.001 ** 365 - 1 = 0.44025131...
    apy = estimate_apy(10**15, 0, core_stake_raw=10**18, score_total=0, score_core=0)
    assert apy == Decimal("0.44025131")


def test_estimate_apy__no_full_round_yet__none() -> None:
    assert estimate_apy(None, 0, core_stake_raw=1, score_total=0, score_core=0) is None


def test_estimate_apy__income_forfeited__zero() -> None:
    assert estimate_apy(0, 100, core_stake_raw=10**18, score_total=0, score_core=0) == 0


def test_weighted_apy__two_validators__stake_weighted() -> None:
    assert weighted_apy([(3, Decimal("0.1")), (1, Decimal("0.5"))]) == Decimal("0.2")
    assert weighted_apy([]) is None


@pytest.mark.parametrize(
    ("so_far", "seconds", "expected"),
    [
        (10, 43_200, 20),  # half the day: double it
        (7, 86_399, 7),
        (10, 3_599, None),  # under an hour: too early
        (10, 86_400, None),  # not in this round: the round is not the UTC day here
        (10, -5, None),
    ],
)
def test_extrapolated_round_income__time_into_the_utc_day__scaled_or_none(
    so_far: int, seconds: int, expected: int | None
) -> None:
    assert extrapolated_round_income(so_far, seconds) == expected
