"""One raw read of the suite -> the `etf.metrics` message (StakeBasket seed: ContractMonitor,
MetricsCollector; NAV per share = AUM / BASKET supply)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from ballast.common.messages import AllocationEntry, EtfMetrics, FeedReading
from ballast.contract_monitor.domain.invariants import check_all
from ballast.contract_monitor.domain.model import EtfReading
from ballast.strategy import assets
from ballast.strategy.basket import AssetBook

E18 = Decimal(10**18)


def usd(value: int) -> Decimal:
    """An 18-decimal integer as an exact Decimal."""
    return Decimal(value) / E18


def feed_readings(r: EtfReading) -> list[FeedReading]:
    out: list[FeedReading] = []
    block_ts = int(r.block_timestamp.timestamp())
    for f in r.feeds:
        if f.ok:
            out.append(FeedReading(
                symbol=f.symbol,
                price=usd(f.price18),
                updated_at=datetime.fromtimestamp(f.updated_at, UTC),
                age_seconds=max(block_ts - f.updated_at, 0),
            ))
        else:
            out.append(FeedReading(symbol=f.symbol, price=None, updated_at=None,
                                   error=f.reason or "unavailable"))
    return out


def unfunded_usd(r: EtfReading) -> Decimal:
    """USD of the queue the basket's own balances do not cover (ballast.strategy.basket)."""
    core = AssetBook(r.basket_core_raw, r.queued_core_raw, r.staked_core_raw).shortfall
    btc = AssetBook(r.basket_corebtc_raw, r.queued_btc_raw, r.lstbtc_raw).shortfall
    return usd(core * r.core_price) / E18 + usd(btc * r.btc_price) / Decimal(10**8)


def asset_values(r: EtfReading) -> tuple[Decimal, Decimal]:
    """(CORE, BTC) held for the shareholders, USD (ballast.strategy.assets)."""
    core = AssetBook(r.basket_core_raw, r.queued_core_raw, r.staked_core_raw)
    btc = AssetBook(r.basket_corebtc_raw, r.queued_btc_raw, r.lstbtc_raw)
    return (assets.value_usd(core, usd(r.core_price), assets.Asset.CORE.decimals),
            assets.value_usd(btc, usd(r.btc_price), assets.Asset.CORE_BTC.decimals))


def build_metrics(
    r: EtfReading, previous: EtfReading | None, tolerance: Decimal, losses: list[str]
) -> EtfMetrics:
    block_ts = int(r.block_timestamp.timestamp())
    oldest = None if r.oldest_requested_at is None else max(block_ts - r.oldest_requested_at, 0)
    core_usd, btc_usd = asset_values(r)
    return EtfMetrics(
        block_number=r.block_number,
        block_timestamp=r.block_timestamp,
        nav_per_share=usd(r.nav_per_share),
        aum_usd=usd(r.total_usd),
        core_staked_usd=usd(r.core_staked_usd),
        lstbtc_usd=usd(r.lstbtc_usd),
        rewards_usd=usd(r.rewards_usd),
        liquidity_usd=usd(r.liquidity_usd),
        basket_supply_raw=r.supply,
        feeds=feed_readings(r),
        queue_length=r.queue_length,
        queue_total_raw=r.queued_core_raw,
        oldest_wait_seconds=oldest,
        instant_withdrawal_capacity_usd=usd(r.free_liquidity_usd),
        unfunded_queue_usd=unfunded_usd(r),
        allocation=[
            AllocationEntry(validator=a.validator, staked_raw=a.staked_raw,
                            current_weight_bps=a.current_bps, target_weight_bps=a.target_bps)
            for a in r.allocation
        ],
        max_allocation_deviation_bps=r.max_deviation_bps,
        core_value_usd=core_usd,
        btc_value_usd=btc_usd,
        target_core_bps=r.target_core_bps,
        asset_drift_bps=assets.drift_bps(core_usd, btc_usd, r.target_core_bps),
        invariants=check_all(r, previous, tolerance, losses),
    )
