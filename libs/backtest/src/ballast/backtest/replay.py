"""Replay mode: recorded bus traffic through the backtest's policy path ("same code, same answer").

Fed by what a live run published: the consensus prices (`prices.consensus.*`), the DEX trades
(`trades.*`, into the treasury's own RollingVwap, deduplicated by transaction and log index as the
treasury's table does), and the chain holdings each `treasury.state` carries (the chain itself is
not on the bus). For each recorded `intervention.decided` the replay rebuilds the state the
decision was taken on with `build_state`, and decides with `evaluate` at the decision's own time,
keeping cooldown and daily counts as Postgres does live. The decision is then compared on what
matters: act or blocked, tier, amount.

Which consensus the treasury used is not a guess: a state lists, per input, the consensus'
`computed_at`; the replay takes exactly those messages. The trades are those that arrived before
the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ballast.common.messages import (
    ConsensusPrice,
    DecisionAction,
    ExecutionMode,
    InterventionDecision,
    Trade,
    TreasuryState,
)
from ballast.strategy.decision import History, evaluate
from ballast.strategy.policy import Policy
from ballast.treasury.domain.state import ChainSnapshot, Symbols, TokenBalance, build_state
from ballast.treasury.domain.vwap import RollingVwap, trade_bucket

MAX_PRICE_AGE = timedelta(seconds=300)
"""The treasury's max_price_age_seconds default."""


@dataclass(frozen=True)
class Outcome:
    action: DecisionAction
    tier: int
    amount_in_raw: int
    amount_usd: Decimal

    @classmethod
    def of(cls, d: InterventionDecision) -> Outcome:
        return cls(d.action, d.inputs.tier, d.amount_in_raw, d.amount_usd)


@dataclass
class Seen:
    """A recorded state with the VWAP as the trades that arrived before it made it."""

    state: TreasuryState
    vwap: Decimal | None


@dataclass
class Replay:
    policy: Policy
    symbols: Symbols = field(default_factory=Symbols)
    vwap: RollingVwap = field(default_factory=RollingVwap)
    consensus: list[ConsensusPrice] = field(default_factory=list[ConsensusPrice])
    states: list[Seen] = field(default_factory=list[Seen])
    trade_keys: set[tuple[str, int]] = field(default_factory=set[tuple[str, int]])
    last_act: datetime | None = None
    acts_by_day: dict[str, int] = field(default_factory=dict[str, int])
    pairs: list[tuple[Outcome, Outcome]] = field(default_factory=list[tuple[Outcome, Outcome]])

    def feed(self, subject: str, body: dict[str, Any]) -> None:
        """One recorded message, in arrival order."""
        if subject.startswith("prices.consensus."):
            self.consensus.append(ConsensusPrice.model_validate(body))
        elif subject.startswith("trades."):
            self._trade(Trade.model_validate(body))
        elif subject == "treasury.state":
            state = TreasuryState.model_validate(body)
            self.states.append(Seen(state, self.vwap.value(state.computed_at)))
        elif subject == "intervention.decided":
            self._decided(InterventionDecision.model_validate(body))

    def _trade(self, trade: Trade) -> None:
        bucket = trade_bucket(trade, self.symbols.pstr)
        key = (trade.tx_hash, trade.log_index)
        if bucket is None or key in self.trade_keys:
            return
        self.trade_keys.add(key)
        self.vwap.add_units(bucket.minute, bucket.pv_units, bucket.volume_units)

    def _state_of(self, d: InterventionDecision) -> Seen:
        """The latest recorded state before the decision that it was taken on."""
        i = d.inputs
        for seen in reversed(self.states):
            s = seen.state
            if s.computed_at <= d.decided_at and (s.pstr_price, s.vwap_30d, s.reserve_ratio,
                                                  s.intervention_capacity_usd) == (
                    i.price, i.vwap_30d, i.reserve_ratio, i.intervention_capacity_usd):
                return seen
        raise LookupError(f"no recorded treasury.state matches decision {d.decision_id}")

    def rebuild(self, seen: Seen) -> TreasuryState:
        """`build_state` from the recorded consensus, the replayed VWAP and the state's holdings."""
        s = seen.state
        prices: dict[str, ConsensusPrice] = {}
        for inp in s.inputs:
            names = {inp.symbol, self.symbols.price_aliases.get(inp.symbol, inp.symbol)}
            used = [c for c in self.consensus
                    if c.symbol in names and c.computed_at == inp.computed_at]
            if used:
                prices[used[-1].symbol] = used[-1]
        balances = tuple(TokenBalance(h.symbol, h.amount_raw, h.decimals) for h in s.holdings)
        pstr_decimals = next((h.decimals for h in s.holdings if h.symbol == self.symbols.pstr), 18)
        chain = None
        if s.pstr_market_cap_usd is not None and s.pstr_price:
            supply = s.pstr_market_cap_usd / s.pstr_price
            read_at = s.computed_at
            if any(r.startswith("chain: balance snapshot is stale") for r in s.reasons):
                read_at -= MAX_PRICE_AGE + timedelta(seconds=1)
            chain = ChainSnapshot(balances, int(supply.scaleb(pstr_decimals)), pstr_decimals,
                                  read_at)
        return build_state(chain, prices, seen.vwap, self.policy.params, s.computed_at,
                           MAX_PRICE_AGE, self.symbols)

    def _decided(self, recorded: InterventionDecision) -> None:
        state = self.rebuild(self._state_of(recorded))
        now = recorded.decided_at
        day = f"{now:%Y-%m-%d}"
        history = History(self.last_act, self.acts_by_day.get(day, 0))
        mine = evaluate(state, self.policy, history, now=now, paused=False,
                        mode=ExecutionMode(recorded.mode))
        if recorded.action is DecisionAction.ACT:  # Postgres counts what was recorded
            self.last_act = now
            self.acts_by_day[day] = self.acts_by_day.get(day, 0) + 1
        self.pairs.append((Outcome.of(recorded), Outcome.of(mine)))

    def mismatches(self) -> list[str]:
        return [f"decision {n}: recorded {a}, replayed {b}"
                for n, (a, b) in enumerate(self.pairs) if a != b]
