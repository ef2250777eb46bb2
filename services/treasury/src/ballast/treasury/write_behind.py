"""Consensus prices written behind (a helper of the core in app.py): at a thousand updates a
second a write each was the treasury's bottleneck (bench/path.py), so the prices received since
the last write are taken together, by the 1-second job or with the next snapshot."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from ballast.common.messages import ConsensusPrice


class UnsavedPrices:
    """The newest consensus per symbol not yet written."""

    def __init__(self) -> None:
        self._unsaved: dict[str, ConsensusPrice] = {}

    def add(self, price: ConsensusPrice) -> None:
        self._unsaved[price.symbol] = price

    @contextlib.asynccontextmanager
    async def taking(self) -> AsyncIterator[list[ConsensusPrice]]:
        """The prices not yet written, taken for one write; put back if the write fails or is
        cancelled (a later write, or stop(), takes them again)."""
        prices, self._unsaved = self._unsaved, {}
        try:
            yield list(prices.values())
        except BaseException:
            for symbol, price in prices.items():
                self._unsaved.setdefault(symbol, price)
            raise
