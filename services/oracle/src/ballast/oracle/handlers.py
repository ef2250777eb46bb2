"""The oracle's outputs on the bus. Thin: typed message in, subject and message id out.

- `prices.observed.<source>.<symbol>`: every reading. High rate (the goal is 20,000/s per
  instance), so it goes out as a core NATS publish carrying `Nats-Msg-Id`: the PRICES stream
  still stores it and drops duplicates (a Pyth REST poll that returns the same publish_time has
  the same id), but the oracle does not wait for one ack per reading (REFERENCE.md "Measured":
  JetStream publish awaiting each ack is ~4,800/s). Postgres holds every reading as the record.
- `prices.consensus.<symbol>` and `trades.<venue>.<pair>`: `Bus.publish`, waiting for the
  stream's ack, with ids `<symbol>:<sequence>` and `<tx_hash>:<log_index>`, so a retry is
  harmless and each trade is on the bus once.
"""

from __future__ import annotations

from collections.abc import Sequence

from ballast.common.bus import MSG_ID_HEADER, Bus
from ballast.common.messages import ConsensusPrice, PriceObservation, Trade
from ballast.common.subjects import prices_consensus, prices_observed, trades


def observation_id(o: PriceObservation) -> str:
    stamp = o.published_at.timestamp()
    return f"obs:{o.source}:{o.symbol}:{stamp}:{o.block_number or 0}:{o.price}"


def consensus_id(c: ConsensusPrice) -> str:
    return f"consensus:{c.symbol}:{c.sequence}"


def trade_id(t: Trade) -> str:
    return f"trade:{t.tx_hash}:{t.log_index}"


class BusPublisher:
    """What the engine calls to put facts on the bus."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def observations(self, batch: Sequence[PriceObservation]) -> None:
        nc, ns = self.bus.connection, self.bus.ns
        for o in batch:
            await nc.publish(
                ns.subject(prices_observed(o.source, o.symbol)),
                o.model_dump_json().encode(),
                headers={MSG_ID_HEADER: observation_id(o), "content-type": "application/json"},
            )

    async def consensus(self, price: ConsensusPrice) -> None:
        await self.bus.publish(price, prices_consensus(price.symbol), msg_id=consensus_id(price))

    async def trade(self, trade: Trade) -> None:
        await self.bus.publish(trade, trades(trade.venue, trade.pair), msg_id=trade_id(trade))
