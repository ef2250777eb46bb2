"""The oracle's outputs on the bus (the core's `Publisher`). Thin: typed message in, subject and
message id out.

- `prices.observed.<source>.<symbol>`: every reading. High rate (the goal is 20,000/s per
  instance), so it goes out as a plain core NATS publish: the PRICES stream still stores it, but
  the oracle waits for no ack per reading (REFERENCE.md "Measured": JetStream publish awaiting
  each ack is ~4,800/s) and sends no headers (nats-py's header encoding tripled the cost per
  reading in bench/oracle.py). No `Nats-Msg-Id` is needed: a reading is never re-sent (no
  retry path), and the engine drops a repeated reading (a Pyth REST poll between two publish
  times) before it gets here. Consumers decode the JSON body without a content-type. Postgres
  holds every reading as the record.
- `prices.consensus.<symbol>` and `trades.<venue>.<pair>`: `Bus.publish`, waiting for the
  stream's ack, with ids `consensus:<symbol>:<boot>:<sequence>` and `trade:<tx_hash>:<log_index>`,
  so a retry is harmless and each trade is on the bus once. `<boot>` is random per process:
  after a crash the sequence resumes from Postgres, which may lag what was published, and the
  stream must not drop a new consensus as a duplicate of an old one.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from ballast.common.bus import Bus
from ballast.common.messages import ConsensusPrice, PriceObservation, Trade
from ballast.common.subjects import prices_consensus, prices_observed, trades


def consensus_id(c: ConsensusPrice, boot: str = "") -> str:
    return f"consensus:{c.symbol}:{boot}:{c.sequence}"


def trade_id(t: Trade) -> str:
    return f"trade:{t.tx_hash}:{t.log_index}"


class BusPublisher:
    """What the engine calls to put facts on the bus."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self._subjects: dict[tuple[str, str], str] = {}
        self.boot = secrets.token_hex(4)

    async def observations(self, batch: Sequence[PriceObservation],
                           encoded: Sequence[bytes]) -> None:
        """Each reading with its JSON (made once by the core, for the bus and the record), in
        order, in one call to the bus."""
        subjects = self._subjects
        await self.bus.publish_facts(
            (subjects.get((o.source, o.symbol)) or self._subject(o), data)
            for o, data in zip(batch, encoded, strict=True))

    def _subject(self, o: PriceObservation) -> str:
        subject = self._subjects[(o.source, o.symbol)] = prices_observed(o.source, o.symbol)
        return subject

    async def consensus(self, price: ConsensusPrice) -> None:
        await self.bus.publish(price, prices_consensus(price.symbol),
                               msg_id=consensus_id(price, self.boot))

    async def trade(self, trade: Trade) -> None:
        await self.bus.publish(trade, trades(trade.venue, trade.pair), msg_id=trade_id(trade))
