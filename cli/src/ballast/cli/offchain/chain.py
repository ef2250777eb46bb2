"""Where the local Hermes and Crossbar get their prices: the devnet chain, which the running
market scenario moves (ballast.cli.scenarios, in `ballast up`'s background or a foreground
`ballast scenario`). Reading the chain rather than the scenario's steps keeps the servers
right whichever process drives the market.

- Hermes serves MockPyth's price per feed id, conf and publish time included: the off-chain
  Pyth price is the on-chain one, as on a real network where both come from one publisher set.
- Crossbar serves, per symbol, the results of three "oracles": MockPyth's price, the DEX pools'
  spot price (where the symbol has a pool) and their midpoint; without a pool, MockPyth's price
  alone. A venue pushed away from Pyth widens the oracles' spread, which the consensus reads as
  Switchboard's confidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ballast.cli.offchain.formats import PythQuote, feed_key
from ballast.cli.scenarios.driver import Market, open_market
from ballast.common.deployment import Deployment
from ballast.devnet.oracle import switchboard_feed_hash

QUANTUM = Decimal("0.00000001")


@dataclass(frozen=True)
class Snapshot:
    pyth: dict[str, PythQuote]  # feed key -> quote
    switchboard: dict[str, list[Decimal]]  # feed key -> oracle results


class ChainQuotes:
    def __init__(self, rpc_url: str, deployment: Deployment, artifacts: Path | None = None
                 ) -> None:
        self.market: Market = open_market(rpc_url, deployment, artifacts)
        self.deployment = deployment
        self._last: dict[str, tuple[int, int]] = {}  # feed key -> (publish, previous publish)

    def read(self) -> Snapshot:
        pyth: dict[str, PythQuote] = {}
        board: dict[str, list[Decimal]] = {}
        dex = self.market.dex_prices()
        for symbol, feed in self.deployment.feeds.items():
            raw = self.market.pyth.functions.getPriceUnsafe(
                bytes.fromhex(feed_key(feed.pyth_id))).call()
            price, conf, expo, publish = int(raw[0]), int(raw[1]), int(raw[2]), int(raw[3])
            key = feed_key(feed.pyth_id)
            last = self._last.get(key)
            previous = publish if last is None else last[1] if last[0] == publish else last[0]
            self._last[key] = (publish, previous)
            pyth[key] = PythQuote(price, conf, expo, publish, previous)
            value = Decimal(price).scaleb(expo).quantize(QUANTUM)
            results = [value]
            if symbol in dex:
                spot = dex[symbol].quantize(QUANTUM)
                results = [value, spot, ((value + spot) / 2).quantize(QUANTUM)]
            board[feed_key(switchboard_feed_hash(symbol))] = results
        return Snapshot(pyth, board)
