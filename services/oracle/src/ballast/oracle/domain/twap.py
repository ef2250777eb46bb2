"""Uniswap V2 time-weighted average price from the pair's cumulative prices.

Why and how: REFERENCE.md "Uniswap V2" (the v2 whitepaper, section 2.2). The pair stores
`price{0,1}CumulativeLast` as UQ112x112 sums of price × seconds, updated on the first trade of a
block, so a price moved inside one block carries no weight until time passes (bZx 2020). If the
pair has not traded since its `blockTimestampLast`, we add the counterfactual
`(reserve1 << 112) / reserve0 × elapsed` as the periphery's UniswapV2OracleLibrary does.
Timestamps are uint32 and cumulatives uint256: both wrap, and the differences are taken modulo.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

Q112 = 1 << 112
MOD_TIME = 1 << 32
MOD_CUMULATIVE = 1 << 256


@dataclass(frozen=True)
class PairState:
    """What one block's calls return: cumulatives, reserves and the pair's last update."""

    price0_cumulative: int
    price1_cumulative: int
    reserve0: int
    reserve1: int
    block_timestamp_last: int  # uint32, as the pair stores it


@dataclass(frozen=True)
class CumulativePoint:
    """Cumulative prices as of a (uint32) timestamp."""

    timestamp: int
    price0_cumulative: int
    price1_cumulative: int


def current_cumulative(state: PairState, now: int) -> CumulativePoint:
    """The cumulatives as they would be at `now` (a block timestamp), counterfactual included."""
    now32 = now % MOD_TIME
    p0, p1 = state.price0_cumulative, state.price1_cumulative
    elapsed = (now32 - state.block_timestamp_last) % MOD_TIME
    if elapsed and state.reserve0 and state.reserve1:
        # UQ112x112 encode then uqdiv, as UniswapV2OracleLibrary.currentCumulativePrices
        p0 = (p0 + (state.reserve1 * Q112 // state.reserve0) * elapsed) % MOD_CUMULATIVE
        p1 = (p1 + (state.reserve0 * Q112 // state.reserve1) * elapsed) % MOD_CUMULATIVE
    return CumulativePoint(now32, p0, p1)


def average_price(
    start: CumulativePoint,
    end: CumulativePoint,
    *,
    decimals0: int,
    decimals1: int,
    token0_is_base: bool = True,
) -> Decimal | None:
    """Average quote-per-base price between two points, in whole-token units.

    price0 (token1 per token0) = Δcumulative0 / Δt / 2^112, times 10^(decimals0 - decimals1)
    to turn raw units into whole tokens. None when no time has passed (no average exists).
    """
    elapsed = (end.timestamp - start.timestamp) % MOD_TIME
    if elapsed == 0:
        return None
    if token0_is_base:
        delta = (end.price0_cumulative - start.price0_cumulative) % MOD_CUMULATIVE
        shift = decimals0 - decimals1
    else:
        delta = (end.price1_cumulative - start.price1_cumulative) % MOD_CUMULATIVE
        shift = decimals1 - decimals0
    return (Decimal(delta) / Decimal(elapsed) / Decimal(Q112)).scaleb(shift)


def spot_price(
    state: PairState, *, decimals0: int, decimals1: int, token0_is_base: bool = True
) -> Decimal | None:
    """Reserve ratio price (only for display and trades; never for decisions: bZx 2020)."""
    if not state.reserve0 or not state.reserve1:
        return None
    if token0_is_base:
        return (Decimal(state.reserve1) / Decimal(state.reserve0)).scaleb(decimals0 - decimals1)
    return (Decimal(state.reserve0) / Decimal(state.reserve1)).scaleb(decimals1 - decimals0)


class TwapWindow:
    """Samples of cumulative prices, giving the TWAP over at least `window` seconds.

    The adapter adds one sample per poll. The TWAP uses the newest sample that is at least
    `window` seconds old, so it always covers at least the configured window; until such a
    sample exists there is no TWAP (a short window is the Compound DAI 2020 lesson).
    """

    def __init__(self, window: int, max_samples: int = 4096) -> None:
        if window <= 0:
            raise ValueError("window must be positive")
        self.window = window
        self.max_samples = max_samples
        self._samples: list[tuple[int, CumulativePoint]] = []  # (unwrapped time, point)

    def add(self, unwrapped_time: int, point: CumulativePoint) -> None:
        if self._samples and unwrapped_time <= self._samples[-1][0]:
            return
        self._samples.append((unwrapped_time, point))
        # keep one sample older than the window, drop the rest
        while len(self._samples) > 2 and unwrapped_time - self._samples[1][0] >= self.window:
            self._samples.pop(0)
        if len(self._samples) > self.max_samples:
            self._samples.pop(0)

    def start_for(self, unwrapped_time: int) -> CumulativePoint | None:
        start: CumulativePoint | None = None
        for t, point in self._samples:
            if unwrapped_time - t >= self.window:
                start = point
            else:
                break
        return start
