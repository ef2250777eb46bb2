"""What a market scenario is: timed steps saying which price to set on which source.

A scenario is data, produced by a pure generator (generators.py) from starting prices and a seed,
and executed by the driver (driver.py). Keeping the two apart means a scenario can be printed,
tested and replayed without a chain, and the driver has one job: make the chain say what a step
says (DESIGN.md: "the same domain functions serve live handlers, backtests and scenario replays").

Sources:
    aggregator  the symbol's TestAggregator answer (Chainlink AggregatorV3 interface)
    pyth        the symbol's MockPyth price (a price update pushed with the update fee)
    dex         the Uniswap V2 pools: every pool whose two symbols both have a target is swapped
                to the ratio of those targets (USDC is $1; WCORE is CORE)

A (source, symbol) pair absent from a step is not touched at all: that is how a feed goes stale.
A pair present with an unchanged price is still written, so its `updatedAt` / `publishTime`
advances (a heartbeat) and pools with an unchanged ratio see no swap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

Source = Literal["aggregator", "pyth", "dex"]
SOURCES: tuple[Source, ...] = ("aggregator", "pyth", "dex")
SYMBOLS: tuple[str, ...] = ("PSTR", "PUMP", "CORE", "BTC")

Prices = Mapping[str, Decimal]

DEFAULT_INTERVAL = 5
"""Chain seconds between steps."""
DEFAULT_SPEED = 1.0
"""Chain seconds per wall second. 1 keeps the chain's clock on the wall clock, which is what
services that judge staleness by their own clock need; more is time compression (driver.py)."""


@dataclass(frozen=True)
class Step:
    """Set `targets[source][symbol]` (USD) in one block, `at` chain seconds after the start."""

    index: int
    at: int
    targets: Mapping[Source, Prices]
    note: str = ""
    tags: frozenset[str] = field(default_factory=frozenset[str])

    def price(self, source: Source, symbol: str) -> Decimal | None:
        return self.targets.get(source, {}).get(symbol)


@dataclass(frozen=True)
class ScenarioParams:
    """Inputs of every generator.

    start     where the market is now (per symbol, USD), the first step's reference
    anchor    where the calm walk reverts to (the deployment's reference prices)
    steps     how many steps to produce
    interval  chain seconds between steps (time compression is the driver's `speed`)
    seed      the random seed: the same params always give the same steps
    """

    start: Prices
    anchor: Prices
    steps: int = 12
    interval: int = 60
    seed: int = 0


def same_on_all(prices: Prices, sources: tuple[Source, ...] = SOURCES) -> dict[Source, Prices]:
    """The same prices on every source (the dex has no BTC pool, so BTC there is harmless)."""
    return {source: dict(prices) for source in sources}
