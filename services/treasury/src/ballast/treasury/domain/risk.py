"""Risk report (PSTR seed section 5 "Risk Management Framework" and KPIs "Risk Metrics").

1-day Value at Risk at 95% (historical simulation and parametric normal), expected shortfall,
PUMP concentration and a volatility-based market-risk level, every 2 hours.

Historical simulation applies each past day's per-asset returns to today's holdings, so the
scenario P&L reflects today's portfolio, not past accumulation. Losses are positive numbers.
The parametric z-score comes from `statistics.NormalDist` (a float); it is converted to Decimal
once, rounded to 12 digits, at that boundary. Everything else is Decimal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from statistics import NormalDist

from ballast.common.messages import MarketRiskLevel, RiskReport

CONFIDENCE = Decimal("0.95")

VOLATILITY_LEVELS: tuple[tuple[Decimal, MarketRiskLevel], ...] = (
    (Decimal("0.10"), MarketRiskLevel.EXTREME),
    (Decimal("0.05"), MarketRiskLevel.HIGH),
    (Decimal("0.02"), MarketRiskLevel.MEDIUM),
)
"""Daily portfolio volatility at or above -> level (below 2% is low). Our thresholds: the seed
names a "volatility-based risk assessment" without numbers."""


def z_score(confidence: Decimal) -> Decimal:
    """One-sided normal quantile, e.g. 0.95 -> 1.644853626951."""
    return Decimal(repr(round(NormalDist().inv_cdf(float(confidence)), 12)))


def simple_returns(closes: Sequence[Decimal]) -> list[Decimal]:
    """p_t / p_(t-1) - 1 for consecutive closes."""
    return [b / a - 1 for a, b in zip(closes, closes[1:], strict=False) if a > 0]


def aligned_returns(
    closes: Mapping[str, Mapping[date, Decimal]],
) -> dict[str, list[Decimal]]:
    """Daily returns of every symbol over the consecutive days on which all symbols closed."""
    if not closes:
        return {}
    days = [set(c) for c in closes.values()]
    common = sorted(days[0].intersection(*days[1:]))
    runs: list[date] = []
    for day in common:
        if runs and (day - runs[-1]).days != 1:
            runs = []
        runs.append(day)
    return {s: simple_returns([c[d] for d in runs]) for s, c in closes.items()}


def scenario_pnl(
    values: Mapping[str, Decimal], returns: Mapping[str, Sequence[Decimal]]
) -> list[Decimal]:
    """Today's holdings (USD value per symbol) under each past day's returns."""
    lengths = {len(returns[s]) for s in values}
    if len(lengths) != 1:
        raise ValueError("every held symbol needs a return series of the same length")
    n = lengths.pop()
    return [sum((v * returns[s][i] for s, v in values.items()), Decimal(0)) for i in range(n)]


def _tail_index(n: int, confidence: Decimal) -> int:
    return max(0, math.ceil(confidence * n) - 1)


def historical_var(pnl: Sequence[Decimal], confidence: Decimal = CONFIDENCE) -> Decimal:
    """The loss not exceeded on `confidence` of the days: the ceil(c*n)-th smallest loss."""
    if not pnl:
        raise ValueError("no scenarios")
    losses = sorted(-p for p in pnl)
    return losses[_tail_index(len(losses), confidence)]


def expected_shortfall(pnl: Sequence[Decimal], confidence: Decimal = CONFIDENCE) -> Decimal:
    """Mean of the worst max(1, floor((1-c)*n)) losses: the tail beyond VaR (so ES >= VaR)."""
    if not pnl:
        raise ValueError("no scenarios")
    losses = sorted(-p for p in pnl)
    m = max(1, math.floor((1 - confidence) * len(losses)))
    tail = losses[-m:]
    return sum(tail, Decimal(0)) / Decimal(len(tail))


def mean_std(xs: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    """Mean and sample standard deviation (n - 1)."""
    if len(xs) < 2:
        raise ValueError("need two observations")
    n = Decimal(len(xs))
    mu = sum(xs, Decimal(0)) / n
    var = sum(((x - mu) ** 2 for x in xs), Decimal(0)) / (n - 1)
    return mu, var.sqrt()


def parametric_var(pnl: Sequence[Decimal], confidence: Decimal = CONFIDENCE) -> Decimal:
    """Normal VaR: z * sigma - mu of the scenario P&L."""
    mu, sigma = mean_std(pnl)
    return z_score(confidence) * sigma - mu


def market_risk_level(daily_volatility: Decimal) -> MarketRiskLevel:
    for bound, lvl in VOLATILITY_LEVELS:
        if daily_volatility >= bound:
            return lvl
    return MarketRiskLevel.LOW


def build_risk(
    values: Mapping[str, Decimal],
    closes: Mapping[str, Mapping[date, Decimal]],
    pump_concentration: Decimal | None,
    now: datetime,
    min_samples: int = 20,
) -> RiskReport:
    """`risk.report` for today's holdings (USD per symbol) and daily closes per symbol."""
    total = sum(values.values(), Decimal(0))
    held = {s: v for s, v in values.items() if v != 0}
    reasons: list[str] = []
    missing = sorted(s for s in held if s not in closes)
    returns = aligned_returns({s: closes[s] for s in held if s in closes})
    n = len(next(iter(returns.values()))) if returns else 0
    if missing:
        reasons.append("no daily closes for " + ", ".join(missing))
        n = 0
    if n < min_samples:
        reasons.append(f"{n} aligned daily returns, {min_samples} needed for VaR")
        return RiskReport(
            computed_at=now, portfolio_value_usd=total, var_historical_usd=None,
            var_parametric_usd=None, expected_shortfall_usd=None, daily_volatility=None,
            pump_concentration=pump_concentration, market_risk_level=MarketRiskLevel.UNKNOWN,
            sample_size=n, reasons=reasons,
        )
    pnl = scenario_pnl(held, returns)
    vol = mean_std([p / total for p in pnl])[1] if total > 0 else Decimal(0)
    return RiskReport(
        computed_at=now,
        portfolio_value_usd=total,
        var_historical_usd=historical_var(pnl),
        var_parametric_usd=parametric_var(pnl),
        expected_shortfall_usd=expected_shortfall(pnl),
        daily_volatility=vol,
        pump_concentration=pump_concentration,
        market_risk_level=market_risk_level(vol),
        sample_size=n,
        reasons=reasons,
    )
