from __future__ import annotations

from decimal import Decimal

from ballast.validator_monitor.domain.apy import MAX_ESTIMABLE_APY, estimate_apy


def test_estimate_apy__one_percent_per_thousand_rounds__compounded() -> None:
    # 10 CORE income, no commission, all-CORE score, 100,000 CORE staked: 0.0001 per round
    apy = estimate_apy(10 * 10**18, 0, core_stake_raw=100_000 * 10**18, score_total=1,
                       score_core=1)
    assert apy == ((Decimal(1) + Decimal("0.0001")) ** 365 - 1).quantize(Decimal("1E-8"))


def test_estimate_apy__income_far_above_stake__no_estimate() -> None:
    apy = estimate_apy(10**24, 0, core_stake_raw=10**18, score_total=1, score_core=1)
    assert apy is None


def test_estimate_apy__just_under_the_bound__still_estimated() -> None:
    # (1 + r) ** 365 - 1 stays under 1e6 for r = 0.03 (about 4.8e4)
    apy = estimate_apy(3 * 10**16, 0, core_stake_raw=10**18, score_total=1, score_core=1)
    assert apy is not None and apy < MAX_ESTIMABLE_APY
