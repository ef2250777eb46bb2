"""Consensus prices for the backtest: the oracle's own `compute` when the input has per-source
readings, else the bar's price.

Per-source input (PSTR's: the one price the policy acts on; another symbol's sources are reduced
to their median): every minute, each source's latest reading (published in the minute it appeared,
so a source that stops reporting turns stale after `max_age`, as live) goes through
ballast.oracle.domain.consensus.compute with its jump guard carried from minute to minute. The
policy's own price impact multiplies every PSTR reading: our swaps move the market all sources
watch.

One price per symbol: there is no second source to check it against, so the price is taken as an
OK consensus (a HALTED or DEGRADED status can only come from per-source input).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from ballast.backtest.tape import Series, at
from ballast.common.messages import ConsensusPrice, ConsensusStatus, PriceObservation
from ballast.oracle.domain.consensus import SourceInput, compute
from ballast.oracle.domain.jump_guard import JumpState
from ballast.oracle.domain.policy import ConsensusConfig, SourcePolicy

SOURCE_POLICY = SourcePolicy(max_age=timedelta(minutes=2), max_conf_ratio=None)
"""A minute bar has no confidence interval; a reading older than two bars is stale."""


def ok_price(symbol: str, price: Decimal, now: datetime) -> ConsensusPrice:
    return ConsensusPrice(symbol=symbol, price=price, confidence=Decimal(0),
                          status=ConsensusStatus.OK, sources=[], sources_used=1,
                          computed_at=now)


@dataclass
class SourcedFeed:
    """One symbol's per-source readings through the oracle's consensus, minute by minute."""

    series: Series
    config: ConsensusConfig = field(default_factory=ConsensusConfig)
    policy: SourcePolicy = SOURCE_POLICY
    jump: JumpState = field(default_factory=JumpState)
    last: dict[str, tuple[Decimal, int]] = field(default_factory=dict[str, tuple[Decimal, int]])
    sequence: int = 0

    def consensus(self, i: int, minute: int, multiplier: Decimal) -> ConsensusPrice:
        for source, prices in self.series.sources.items():
            price = prices[i]
            if price is not None:
                self.last[source] = (price, minute)
        inputs: list[SourceInput] = []
        for source in self.series.sources:
            seen = self.last.get(source)
            if seen is None:
                inputs.append(SourceInput(source, self.policy, down="no reading yet"))
                continue
            published = at(seen[1])
            reading = PriceObservation(source=source, symbol=self.series.symbol,
                                       price=seen[0] * multiplier, published_at=published,
                                       observed_at=published)
            inputs.append(SourceInput(source, self.policy, reading))
        self.sequence += 1
        result = compute(self.series.symbol, inputs, self.config, at(minute), self.jump,
                         sequence=self.sequence)
        self.jump = result.jump
        return result.price
