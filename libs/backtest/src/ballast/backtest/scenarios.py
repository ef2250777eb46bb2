"""Built-in market scenarios: deterministic minute bars for `--scenario NAME --seed N`.

Every scenario is a 30-day warm-up (PSTR and PUMP in a calm, mean-reverting walk around their
start prices; it fills the 30-day VWAP) followed by the evaluation window (default 30 days), in
which PSTR follows the scenario's path times the same calm noise. USDC is $1.00. Prices start at
the devnet's (PSTR $1.00, PUMP $0.50). The same name and seed give the same bars, bit for bit.

    calm            the calm walk only
    crash           PSTR falls 35% in two hours on day 3 (PUMP 25% with it) and stays down
    slow-bleed      PSTR drifts down 40% over the window, linearly
    v-recovery      PSTR falls 35% over one day (day 5), then recovers to its start in 5 days
    prolonged-bear  PSTR loses 60% over the window in three legs, with 10% relief rallies
    flash-spike     PSTR wicks 30% down for 3 minutes on day 10 and is back within 10 minutes
    pump-dump       PSTR pumps +80% over 3 days (day 5), then dumps to 40% below its start in 2

The paths are written as target multipliers of the start price; the noise is an
Ornstein-Uhlenbeck walk in log-price (per-minute volatility `VOL`, pulled back to the path).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from decimal import Decimal

from ballast.backtest.tape import MINUTES_PER_DAY, Series, Tape

Path = Callable[[float], float]
"""Day of the evaluation window (0 at its start, fractional) -> target multiplier."""

VOL = {"PSTR": 0.0012, "PUMP": 0.0010}
REVERSION = 0.02
START = {"PSTR": 1.00, "PUMP": 0.50}
VOLUME_PER_MINUTE = 1_000.0
"""PSTR traded per minute on PSTR/USDC on average (the VWAP's weights)."""
DEFAULT_START_MINUTE = 29_347_200  # 2025-10-18T00:00Z: whole days, reproducible


def _ramp(t: float, t0: float, t1: float, a: float, b: float) -> float:
    if t <= t0:
        return a
    if t >= t1:
        return b
    return a + (b - a) * (t - t0) / (t1 - t0)


def _crash(t: float) -> float:
    return _ramp(t, 3.0, 3.0 + 2 / 24, 1.0, 0.65)


def _pump_crash(t: float) -> float:
    return _ramp(t, 3.0, 3.0 + 2 / 24, 1.0, 0.75)


def _v(t: float) -> float:
    return _ramp(t, 5.0, 6.0, 1.0, 0.65) if t < 6.0 else _ramp(t, 6.0, 11.0, 0.65, 1.0)


def _bear(t: float) -> float:
    legs = ((0.0, 8.0, 1.0, 0.70), (8.0, 10.0, 0.70, 0.77), (10.0, 18.0, 0.77, 0.52),
            (18.0, 20.0, 0.52, 0.57), (20.0, 30.0, 0.57, 0.40))
    for t0, t1, a, b in legs:
        if t < t1:
            return _ramp(t, t0, t1, a, b)
    return 0.40


def _flash(t: float) -> float:
    minute = t * MINUTES_PER_DAY - 10 * MINUTES_PER_DAY
    if 0 <= minute < 3:
        return 0.70
    if 3 <= minute < 10:
        return 0.70 + 0.30 * (minute - 2) / 8
    return 1.0


def _pump_dump(t: float) -> float:
    return _ramp(t, 5.0, 8.0, 1.0, 1.8) if t < 8.0 else _ramp(t, 8.0, 10.0, 1.8, 0.6)


def _flat(_: float) -> float:
    return 1.0


SCENARIOS: dict[str, dict[str, Path]] = {
    "calm": {},
    "crash": {"PSTR": _crash, "PUMP": _pump_crash},
    "slow-bleed": {"PSTR": lambda t: _ramp(t, 0.0, 30.0, 1.0, 0.60)},
    "v-recovery": {"PSTR": _v},
    "prolonged-bear": {"PSTR": _bear},
    "flash-spike": {"PSTR": _flash},
    "pump-dump": {"PSTR": _pump_dump},
}


def _walk(rng: random.Random, n: int, vol: float, start: float, path: Path,
          warmup: int) -> list[Decimal]:
    out: list[Decimal] = []
    x = 0.0
    gauss, exp = rng.gauss, math.exp
    for i in range(n):
        x += -REVERSION * x + vol * gauss(0.0, 1.0)
        day = (i - warmup) / MINUTES_PER_DAY
        target = path(day) if i >= warmup else 1.0
        out.append(Decimal(f"{start * target * exp(x):.6f}"))
    return out


def _volumes(rng: random.Random, n: int) -> list[Decimal]:
    lognorm = rng.lognormvariate
    return [Decimal(f"{VOLUME_PER_MINUTE * lognorm(0.0, 0.5):.2f}") for _ in range(n)]


def scenario(
    name: str, seed: int = 0, days: int = 30, warmup_days: int = 30,
    start_minute: int = DEFAULT_START_MINUTE,
) -> Tape:
    """The named scenario's bars (see the module docstring). ValueError names the known ones."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    if days < 1 or warmup_days < 0:
        raise ValueError("days must be at least 1 and warm-up days not negative")
    paths = SCENARIOS[name]
    warmup, n = warmup_days * MINUTES_PER_DAY, (warmup_days + days) * MINUTES_PER_DAY
    rng = random.Random(f"{name}:{seed}")
    series: dict[str, Series] = {}
    for symbol in ("PSTR", "PUMP"):
        prices = _walk(rng, n, VOL[symbol], START[symbol], paths.get(symbol, _flat), warmup)
        volumes = _volumes(rng, n) if symbol == "PSTR" else [Decimal(0)] * n
        series[symbol] = Series(symbol, prices, volumes)
    series["USDC"] = Series("USDC", [Decimal(1)] * n, [Decimal(0)] * n)
    return Tape(name, start_minute, n, warmup, series)
