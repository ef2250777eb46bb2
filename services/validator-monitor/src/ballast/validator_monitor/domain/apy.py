"""Estimated APY of our delegation to one validator, from its income of the last full round.

On Core (REFERENCE.md; core-genesis-contract ValidatorSet/StakeHub) a validator's round income
is split at the round turn: `commissionThousandths / 1000` to the validator, the rest to its
delegators, shared between the staked assets (CORE, hash power, BTC) by their part of the
candidate's hybrid score, and within CORE pro rata to stake. So one CORE staked earns, per round,

    income * (1000 - commission) / 1000 * (core_score / total_score) / core_stake

and a round is one day (roundTag = timestamp / 86400), so the APY of a delegation that is
compounded every round is (1 + r) ** 365 - 1. Where CoreAgent.candidateMap is not available the
CORE score stands in for the CORE stake (the CORE factor is 1). It is an estimate: it assumes the
last full round repeats, and it ignores the dual-staking bonus grades.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

ROUNDS_PER_YEAR = 365
ROUND_SECONDS = 86_400
MIN_EXTRAPOLATION_SECONDS = 3_600
_QUANTUM = Decimal("0.00000001")
MAX_ESTIMABLE_APY = Decimal(1_000_000)
"""Above 100,000,000 % the income and the stake cannot describe the same validator (a devnet
stand-in with arbitrary income, a stake read mid-change): no estimate is better than that one."""


def extrapolated_round_income(
    income_so_far: int,
    seconds_into_round: int,
    *,
    round_seconds: int = ROUND_SECONDS,
    min_seconds: int = MIN_EXTRAPOLATION_SECONDS,
) -> int | None:
    """A whole round's income from the part accrued so far, before a full round was seen.

    Core's round is the UTC day (roundTag = timestamp / 86400), so the time into the round is
    `timestamp - round * 86400`. Income accrues per block produced, about evenly over the day.
    None in the first `min_seconds` (too little to go on) and whenever the time into the round
    is outside [0, round_seconds): a chain whose round is not the UTC day (a devnet that turns
    rounds at will) gets no extrapolation rather than a wrong one.
    """
    if not min_seconds <= seconds_into_round < round_seconds:
        return None
    return income_so_far * round_seconds // seconds_into_round


def per_round_rate(
    income_raw: int,
    commission_thousandths: int,
    *,
    core_stake_raw: int | None,
    score_total: int,
    score_core: int,
) -> Decimal | None:
    """Reward per unit of CORE staked over one round, or None when it cannot be known."""
    if not 0 <= commission_thousandths <= 1000:
        raise ValueError(f"commission out of range: {commission_thousandths}")
    stake = core_stake_raw if core_stake_raw else score_core
    if stake <= 0:
        return None
    delegators = Decimal(income_raw) * (1000 - commission_thousandths) / 1000
    if score_total > 0:
        delegators = delegators * Decimal(score_core) / Decimal(score_total)
    return delegators / Decimal(stake)


def estimate_apy(
    income_raw: int | None,
    commission_thousandths: int,
    *,
    core_stake_raw: int | None,
    score_total: int,
    score_core: int,
    rounds_per_year: int = ROUNDS_PER_YEAR,
) -> Decimal | None:
    """(1 + per_round_rate) ** rounds_per_year - 1, to 8 places.

    None without a full round, and None when the result exceeds MAX_ESTIMABLE_APY.
    """
    if income_raw is None:
        return None
    rate = per_round_rate(income_raw, commission_thousandths, core_stake_raw=core_stake_raw,
                          score_total=score_total, score_core=score_core)
    if rate is None:
        return None
    with localcontext() as ctx:
        ctx.prec = 40
        if rate > 1:  # more than doubling per round: far beyond the bound after 365 rounds
            return None
        apy = (1 + rate) ** rounds_per_year - 1
        if apy > MAX_ESTIMABLE_APY:
            return None
        return apy.quantize(_QUANTUM)


def weighted_apy(parts: list[tuple[int, Decimal]]) -> Decimal | None:
    """APY of the whole delegation: each validator's APY weighted by our stake there."""
    total = sum(weight for weight, _ in parts)
    if total <= 0:
        return None
    weighted = sum((Decimal(w) * apy for w, apy in parts), Decimal(0))
    return (weighted / total).quantize(_QUANTUM)
