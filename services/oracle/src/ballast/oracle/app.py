"""The oracle's application core: latest reading per source, consensus rounds, publication,
and an operator's confirmation of a moved price (`control.approve`, domain/control.py).

Adapters call `observe` / `source_down` / `head` / `trade` (plain method calls, no I/O); a
single pump task publishes what they produced and runs consensus for the symbols that changed,
so a burst of readings costs one consensus round per symbol per pump cycle (the batching that
lets one instance take 20,000 readings/s), while a lone reading is published within a loop
iteration (latency). A periodic `tick` re-evaluates every symbol, so staleness turns into
DEGRADED/HALTED even when a source goes silent, and republishes unchanged consensus as a
heartbeat (issue #4: "on every change and as a periodic heartbeat").
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from ballast.common.messages import ConsensusPrice, ControlCommand, PriceObservation, Trade, utcnow
from ballast.oracle.domain.anchor import confirm as confirm_move
from ballast.oracle.domain.book import SourceState, SymbolState, is_news
from ballast.oracle.domain.consensus import SourceInput, compute, same_outcome
from ballast.oracle.domain.control import confirmation, is_oracle_command
from ballast.oracle.domain.policy import ConsensusConfig, SourcePolicy
from ballast.oracle.metrics import OracleMetrics
from ballast.oracle.operator_gate import OperatorGate

log = logging.getLogger("ballast.oracle.engine")
control_log = logging.getLogger("ballast.oracle.control")
encode = PriceObservation.__pydantic_serializer__.to_json  # model_dump_json() as bytes


class Publisher(Protocol):
    async def observations(self, batch: Sequence[PriceObservation],
                           encoded: Sequence[bytes]) -> None: ...
    async def consensus(self, price: ConsensusPrice) -> None: ...
    async def trade(self, trade: Trade) -> None: ...


class History(Protocol):
    """The record (Postgres): rows buffered by the core, written by `flush` (readings as JSON)."""

    def add_observations(self, encoded: Sequence[bytes]) -> None: ...
    def add_consensus(self, c: ConsensusPrice) -> None: ...
    def add_trade(self, t: Trade) -> None: ...
    async def flush(self) -> None: ...


class Sequences(Protocol):
    async def last_sequences(self) -> dict[str, int]: ...


@dataclass(frozen=True)
class SymbolSpec:
    consensus: ConsensusConfig
    sources: Mapping[str, SourcePolicy]


class Oracle:
    def __init__(
        self,
        symbols: Mapping[str, SymbolSpec],
        publisher: Publisher,
        history: History,
        sequences: Sequences,
        metrics: OracleMetrics,
        *,
        operators: Collection[str] = (),
        heartbeat_seconds: float = 30.0,
        min_change: Decimal = Decimal(0),
        clock: Callable[[], datetime] = utcnow,
        startup_grace_seconds: float = 0.0,
    ) -> None:
        self.publisher, self.metrics, self.history = publisher, metrics, history
        self.sequences = sequences
        self.gate = OperatorGate(operators, clock)
        self.heartbeat_seconds = heartbeat_seconds
        self.min_change = min_change
        self.startup_grace_seconds = startup_grace_seconds
        self._started = time.monotonic()
        self.clock = clock
        self._symbols = {
            name: SymbolState(spec.consensus, {s: SourceState(p) for s, p in spec.sources.items()})
            for name, spec in symbols.items()
        }
        self._observations: list[PriceObservation] = []
        self._trades: list[Trade] = []
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self.max_in_flight = 256
        self._unknown: set[tuple[str, str]] = set()

    # ------------------------------------------------------------------ inputs (sync, no I/O)
    def observe(self, observation: PriceObservation) -> None:
        source = self._source(observation.source, observation.symbol)
        if source is None:
            return
        source.answered = True
        was_down, source.down = source.down, None
        if not is_news(source.reading, observation):
            if was_down:
                self._mark(observation.symbol)
            return
        source.reading = observation
        self._observations.append(observation)
        self._mark(observation.symbol)

    def source_down(self, source: str, symbol: str, reason: str) -> None:
        state = self._source(source, symbol)
        if state is None:
            return
        state.answered = True
        if state.down != reason:
            state.down = reason
            self._mark(symbol)

    def head(self, source: str, symbol: str, block: int) -> None:
        """The newest block of a chain source (for the same-block rule)."""
        state = self._source(source, symbol)
        if state is not None and state.head_block != block:
            state.head_block = block
            self._mark(symbol)

    def trade(self, trade: Trade) -> None:
        self._trades.append(trade)
        self._wake.set()

    async def start(self) -> None:
        """Continue each symbol's sequence after a restart (from Postgres, the record)."""
        self.set_sequences(await self.sequences.last_sequences())

    async def stop(self) -> None:
        """Publish what is queued, wait for the publishes in flight, write the record."""
        await self.drain()
        await self.settle()
        await self.history.flush()

    def set_sequences(self, sequences: Mapping[str, int]) -> None:
        for name, seq in sequences.items():
            if name in self._symbols:
                self._symbols[name].sequence = max(self._symbols[name].sequence, seq)

    def confirm(self, symbol: str, price: Decimal | None = None) -> Decimal | None:
        """An operator confirms a moved price (the correlated-move defence accepts that level):
        `price`, else the latest consensus price. None when there is nothing to confirm."""
        state = self._symbols.get(symbol)
        if state is None:
            return None
        if price is None:
            price = state.last.price if state.last is not None else None
        if price is None:
            return None
        state.anchor = confirm_move(state.anchor, price)
        self._mark(symbol)
        return price

    def control(self, cmd: ControlCommand) -> str:
        """An operator's command (domain/control.py); what it did, in words (log and tests)."""
        if not is_oracle_command(cmd):
            return "ignored: not an oracle command"
        asked = self.gate.refused(cmd) or confirmation(cmd)
        if isinstance(asked, str):
            outcome, detail = "refused", asked
        elif (confirmed := self.confirm(asked.symbol, asked.price)) is None:
            outcome, detail = "refused", f"refused: no consensus price for {asked.symbol}"
        else:
            outcome, detail = "applied", f"confirmed {asked.symbol} at {confirmed}"
            self.gate.applied(cmd)
        symbol = cmd.matchers.get("symbol", "")
        self.metrics.confirmations.labels(symbol or "-", outcome).inc()
        control_log.log(logging.INFO if outcome == "applied" else logging.WARNING,
                        "price confirmation %s", outcome,
                        extra={"command_id": cmd.command_id, "issued_by": cmd.issued_by,
                               "signer": cmd.signer,
                               "symbol": symbol, "detail": detail})
        return detail

    def latest(self, symbol: str) -> ConsensusPrice | None:
        return self._symbols[symbol].last

    def _source(self, source: str, symbol: str) -> SourceState | None:
        state = self._symbols.get(symbol)
        found = None if state is None else state.sources.get(source)
        if found is None and (source, symbol) not in self._unknown:
            self._unknown.add((source, symbol))
            log.warning("reading for an unconfigured source ignored",
                        extra={"source": source, "symbol": symbol})
        return found

    def _mark(self, symbol: str) -> None:
        self._dirty.add(symbol)
        self._wake.set()

    # ------------------------------------------------------------------ the pump
    async def run(self) -> None:
        """Publish and evaluate whatever arrived, forever (one task per service)."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.drain()

    async def drain(self) -> None:
        observations, self._observations = self._observations, []
        trades, self._trades = self._trades, []
        if observations:
            encoded = [encode(o) for o in observations]  # once each, for the bus and the record
            self.history.add_observations(encoded)
            try:
                await self.publisher.observations(observations, encoded)
            except Exception as err:  # noqa: BLE001 - the bus may be away; Postgres has them
                log.warning("observation publish failed", extra={"error": repr(err),
                                                                 "count": len(observations)})
        for trade in trades:
            await self._publish_trade(trade)
        dirty, self._dirty = self._dirty, set()
        for symbol in dirty:
            await self.evaluate(symbol)

    async def tick(self) -> None:
        """Periodic: re-evaluate every symbol; republish as a heartbeat when due."""
        if self._trades:
            self._wake.set()
        for symbol in self._symbols:
            await self.evaluate(symbol, heartbeat=True)

    async def evaluate(self, symbol: str, *, heartbeat: bool = False) -> ConsensusPrice | None:
        """One consensus round; publish when it says something new or a heartbeat is due.

        The publish (a JetStream publish awaiting the stream's ack) runs as its own task, so the
        next round does not wait for this ack: NATS keeps the order of one connection's
        publishes, and tasks start in creation order. A failed publish clears `last`, so the
        next round publishes again (with the next sequence).
        """
        state = self._symbols[symbol]
        if self._starting(state):
            return None
        inputs = [SourceInput(name, s.policy, s.reading, s.down, s.head_block)
                  for name, s in state.sources.items()]
        now = self.clock()
        result = compute(symbol, inputs, state.config, now, state.jump, anchor=state.anchor,
                         sequence=state.sequence + 1)
        state.jump, state.anchor = result.jump, result.anchor
        self.metrics.record_consensus(result.price, now)  # ages move even when nothing changed
        for check in result.checks:
            self.metrics.checks_failed.labels(symbol, check).inc()
        due = time.monotonic() - state.last_published >= self.heartbeat_seconds
        if same_outcome(state.last, result.price, self.min_change) and not (heartbeat and due):
            return None
        state.sequence += 1
        state.last = result.price
        state.last_published = time.monotonic()
        task = asyncio.create_task(self._send_consensus(state, result.price))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        if len(self._in_flight) > self.max_in_flight:
            await asyncio.wait(set(self._in_flight), return_when=asyncio.FIRST_COMPLETED)
        return result.price

    def _starting(self, state: SymbolState) -> bool:
        """No consensus until each source has answered once, or the grace has passed: a restart
        must not publish HALTED (and page) for the second before the first readings arrive."""
        if all(s.answered for s in state.sources.values()):
            return False
        return time.monotonic() - self._started < self.startup_grace_seconds

    async def _send_consensus(self, state: SymbolState, price: ConsensusPrice) -> None:
        try:
            await self.publisher.consensus(price)
        except Exception as err:  # noqa: BLE001 - republished by the next round
            log.warning("consensus publish failed", extra={"symbol": price.symbol,
                                                           "error": repr(err)})
            if state.last is price:
                state.last = None
            return
        self.metrics.consensus_published.labels(price.symbol).inc()
        self.history.add_consensus(price)

    async def settle(self) -> None:
        """Wait for the consensus publishes in flight (tests, shutdown)."""
        while self._in_flight:
            await asyncio.gather(*set(self._in_flight), return_exceptions=True)

    async def _publish_trade(self, trade: Trade) -> None:
        try:
            await self.publisher.trade(trade)
        except Exception as err:  # noqa: BLE001 - kept: re-queued for the next cycle
            log.warning("trade publish failed", extra={"tx": trade.tx_hash, "error": repr(err)})
            self._trades.append(trade)
            return
        self.metrics.trades.labels(trade.venue, trade.pair).inc()
        self.history.add_trade(trade)
