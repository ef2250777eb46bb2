"""The automation actions' pure part: what the service's config says, what etf.metrics calls
for, and the accumulation's inputs from a treasury.state (the core, app.py, fetches and acts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ballast.common.messages import AutomationKind, EtfMetrics, TreasuryState
from ballast.strategy import accumulation
from ballast.strategy.assets import AssetSwap, rebalancing_swap
from ballast.strategy.basket import INSTANT_BUFFER_SHARE
from ballast.strategy.params import StrategyParams
from ballast.strategy.rebalance import etf_needs_rebalance

PAPER_KEYED = (AutomationKind.LIQUIDITY_ADD, AutomationKind.LIQUIDITY_REBALANCE,
               AutomationKind.STAKE, AutomationKind.FUND_WITHDRAWALS,
               AutomationKind.ASSET_REBALANCE)
"""Actions whose request id names a unique event (a pool's add of the day, a band): run in paper
mode first, their live run must still find the key free."""


@dataclass(frozen=True)
class AutomationConfig:
    accumulate_symbol: str = "USDC"
    """The token the hourly accumulation pays with, priced at its consensus price."""
    accumulate_decimals: int = 6
    rebalance_interval_seconds: int = 3600
    compound_min_rewards_usd: Decimal | None = Decimal(0)
    """Compound when the basket's accrued rewards exceed this (None: only on request)."""
    compound_interval_seconds: int = 86_400
    """At most one compound per interval: one Core round (a UTC day) by default."""
    max_request_age_seconds: int = 3600
    """A request older than this is refused: an hourly buy is for its hour, not a later one."""
    basket_actions: bool = True
    """Stake and fund the StakeBasket's books (off: only rebalance and compound)."""
    buffer_share: Decimal = INSTANT_BUFFER_SHARE
    """The StakeBasket's instant-withdrawal buffer (ballast.strategy.basket)."""
    stake_interval_seconds: int = 3600
    """Scheduled staking: at most one per interval, when free liquidity is over twice the
    buffer (a large deposit stakes at once)."""
    large_deposit_usd: Decimal = Decimal(10_000)
    fund_interval_seconds: int = 300
    """Queue funding: at most one recall per interval while queued requests are unfunded."""


def due_on_metrics(
    metrics: EtfMetrics, params: StrategyParams, cfg: AutomationConfig
) -> list[tuple[AutomationKind, int, str]]:
    """(kind, interval in seconds, reason) of each scheduled action the metrics call for, in
    order: rebalance, stake, fund withdrawals, compound."""
    due: list[tuple[AutomationKind, int, str]] = []
    deviation = metrics.max_allocation_deviation_bps
    if etf_needs_rebalance(deviation, params):
        limit = params.etf_rebalance_deviation
        due.append((AutomationKind.REBALANCE, cfg.rebalance_interval_seconds,
                    f"allocation deviation {deviation} bps > {limit:.0%} "
                    f"at block {metrics.block_number}"))
    free = metrics.instant_withdrawal_capacity_usd
    books = cfg.basket_actions
    if books and metrics.aum_usd > 0 and free / metrics.aum_usd > 2 * cfg.buffer_share:
        due.append((AutomationKind.STAKE, cfg.stake_interval_seconds,
                    f"free liquidity {free:.2f} USD of AUM {metrics.aum_usd:.2f} is over "
                    f"twice the {cfg.buffer_share:.0%} buffer"))
    if books and metrics.queue_length > 0 and metrics.unfunded_queue_usd > 0:
        due.append((AutomationKind.FUND_WITHDRAWALS, cfg.fund_interval_seconds,
                    f"{metrics.queue_length} queued withdrawals, "
                    f"{metrics.unfunded_queue_usd:.2f} USD not covered by the basket at "
                    f"block {metrics.block_number}"))
    floor = cfg.compound_min_rewards_usd
    if floor is not None and metrics.rewards_usd > floor:
        due.append((AutomationKind.COMPOUND, cfg.compound_interval_seconds,
                    f"rewards {metrics.rewards_usd} USD accrued at block "
                    f"{metrics.block_number}"))
    return due


def asset_drift_due(metrics: EtfMetrics, params: StrategyParams) -> AssetSwap | None:
    """The CORE/BTC trade etf.metrics calls for (ballast.strategy.assets): None within the
    seed's 10%, or when the monitor did not read the asset target."""
    if metrics.target_core_bps is None:
        return None
    return rebalancing_swap(metrics.core_value_usd, metrics.btc_value_usd,
                            metrics.target_core_bps, params)


@dataclass
class DriftEpisodes:
    """The current drift episode: the run of etf.metrics past the bound in one direction, named
    by the side sold and the block it began at. The name is the action's idempotency key, so an
    episode is acted on once however many metrics repeat it; a return within the bound ends it.
    (After a restart an episode still open is renamed at the next metrics: the executor's
    sizing at signing, from the chain, makes a second action find nothing to do once the first
    has restored the split, and only one asset rebalance is ever open at a time.)"""

    current: str | None = field(default=None)

    def observe(self, swap: AssetSwap | None, block: int) -> str | None:
        if swap is None:
            self.current = None
            return None
        side = f"sell-{swap.sell.name.lower()}-"
        if self.current is None or not self.current.startswith(side):
            self.current = f"{side}from-{block}"
        return self.current


def accumulation_inputs(
    state: TreasuryState, pump_symbol: str, cfg: AutomationConfig,
    spent: Decimal, started_at: datetime | None, requested_usd: Decimal,
) -> accumulation.AccumulationInputs:
    """ballast.strategy.accumulation's inputs: the newest state and the period's record."""
    quote = next((h for h in state.holdings if h.symbol == cfg.accumulate_symbol), None)
    pump = [h.value_usd for h in state.holdings if h.symbol == pump_symbol]
    return accumulation.AccumulationInputs(
        safety_mode=state.safety_mode,
        pump_value_usd=sum((v for v in pump if v is not None), Decimal(0)),
        treasury_value_usd=state.treasury_value_usd,
        quote_price_usd=quote.price_usd if quote else None,
        quote_decimals=quote.decimals if quote else cfg.accumulate_decimals,
        spent_usd=spent,
        started_at=started_at,
        requested_usd=requested_usd,
        state_status=state.status,
    )
