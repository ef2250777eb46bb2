"""etf.metrics on the devnet equals what the contracts say, the invariants hold, and the
snapshot and /metrics gauges carry the same figures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ballast.contract_monitor.main import ContractMonitorApp
from ballast.testing.pg import connected

E18 = Decimal(10**18)
Devnet = Any


async def test_monitor__queued_withdrawal_on_devnet__metrics_equal_on_chain_values(
    devnet: Devnet, monitor_app: Any, seen: Any, database_url: str
) -> None:
    etf = devnet.deployment.etf
    (shares,) = devnet.view(etf.token, "StakeBasketToken", "balanceOf", devnet.trader)
    devnet.withdraw(shares // 5)  # $4,000 in CORE: more than the 2,000 free CORE, queued
    devnet.anvil.increase_time(120)
    app: ContractMonitorApp = await monitor_app()
    await app.core.poll()
    block = devnet.anvil.block_number()

    [m] = (await seen()).metrics
    assert m.block_number == block

    def view(to: str, contract: str, fn: str, *args: Any) -> Any:
        return devnet.view(to, contract, fn, *args, block=hex(block))

    (b,) = view(etf.stake_basket, "StakeBasket", "aumBreakdown")
    assert m.aum_usd == Decimal(b[7]) / E18
    assert (m.core_staked_usd, m.lstbtc_usd, m.rewards_usd, m.liquidity_usd) == tuple(
        Decimal(v) / E18 for v in b[2:6])
    assert m.nav_per_share == Decimal(view(etf.stake_basket, "StakeBasket", "navPerShare")[0]) / E18
    assert m.basket_supply_raw == view(etf.token, "StakeBasketToken", "totalSupply")[0]
    assert m.queue_length == view(etf.unbonding_queue, "UnbondingQueue", "queueLength")[0] == 1
    queued_core, _ = view(etf.unbonding_queue, "UnbondingQueue", "totalQueuedAmount")
    assert m.queue_total_raw == queued_core > 0
    # 3,333 CORE ($4,000) queued against 2,000 CORE held: 1,333-odd unfunded, at the CORE price
    core_price = Decimal(b[0]) / E18
    assert 0 < m.unfunded_queue_usd < Decimal(queued_core) / E18 * core_price
    assert m.unfunded_queue_usd == (Decimal(queued_core) / E18 - 2_000) * core_price
    assert m.oldest_wait_seconds is not None and m.oldest_wait_seconds >= 120
    free = view(etf.stake_basket, "StakeBasket", "availableLiquidity")
    assert m.instant_withdrawal_capacity_usd == Decimal(free[2]) / E18
    validators, staked, weights = view(etf.staking_manager, "StakingManager", "currentAllocation")
    assert [(a.validator.lower(), a.staked_raw, a.current_weight_bps) for a in m.allocation] == [
        (v.lower(), s, w) for v, s, w in zip(validators, staked, weights, strict=True)]
    assert all(a.target_weight_bps == 2000 for a in m.allocation)
    # the CORE/BTC split: 10,000 CORE less the 3,333 queued, against 0.12307692 BTC; 60/40 target
    core_usd = (Decimal(10_000 * 10**18 - queued_core) / E18) * Decimal(b[0]) / E18
    assert m.core_value_usd == core_usd
    assert m.btc_value_usd == Decimal(12_307_692) / 10**8 * Decimal(b[1]) / E18
    assert m.target_core_bps == 6_000
    share = m.core_value_usd / (m.core_value_usd + m.btc_value_usd)
    assert m.asset_drift_bps == int((Decimal("0.6") - share) * 10_000) == 999  # 60% -> 50%
    prices = {f.symbol: f.price for f in m.feeds}
    assert prices == {"CORE": Decimal(b[0]) / E18, "BTC": Decimal(b[1]) / E18}
    assert all(f.age_seconds is not None and f.age_seconds >= 120 for f in m.feeds)
    assert {i.name: i.ok for i in m.invariants} == {
        "nav_monotonic": True, "aum_parts": True, "supply_nav": True, "queue_covered": True}

    async with connected(database_url) as conn:
        row = await conn.fetchrow("SELECT nav_per_share, aum_usd, invariants_ok FROM etf_snapshots")
    assert row is not None and row["aum_usd"] == m.aum_usd and row["invariants_ok"]
    registry = app.service.registry
    assert registry.get_sample_value("ballast_etf_queue_length") == 1
    assert registry.get_sample_value("ballast_etf_invariant_ok", {"name": "aum_parts"}) == 1
    # the trader deposited CORE and coreBTC: one depositor
    assert registry.get_sample_value("ballast_etf_unique_depositors") == 1


async def test_monitor__deposit_then_later_block__nav_at_fixed_prices_holds_across_reads(
    devnet: Devnet, monitor_app: Any, seen: Any
) -> None:
    app: ContractMonitorApp = await monitor_app()
    await app.core.poll()
    devnet.deposit(10**21)
    devnet.withdraw(10**20)
    await app.core.poll()

    metrics = (await seen()).metrics
    assert len(metrics) == 2
    assert all(i.ok for m in metrics for i in m.invariants), [m.invariants for m in metrics]


async def test_monitor__core_withdrawal_beyond_all_core_held__queue_covered_fails(
    devnet: Devnet, monitor_app: Any, seen: Any
) -> None:
    etf = devnet.deployment.etf
    (shares,) = devnet.view(etf.token, "StakeBasketToken", "balanceOf", devnet.trader)
    devnet.withdraw(shares * 8 // 10)  # ~13,000 CORE owed; the basket has 10,000 CORE in all
    app: ContractMonitorApp = await monitor_app()
    await app.core.poll()

    [m] = (await seen()).metrics
    checks = {i.name: i for i in m.invariants}
    assert not checks["queue_covered"].ok and "CORE queued" in checks["queue_covered"].detail
    assert checks["aum_parts"].ok and checks["supply_nav"].ok


async def test_monitor__no_multicall3_at_address__same_reading_from_a_json_rpc_batch(
    devnet: Devnet, monitor_app: Any
) -> None:
    with_mc: ContractMonitorApp = await monitor_app()
    await with_mc.core.poll()
    await with_mc.stop()
    without: ContractMonitorApp = await monitor_app(
        multicall3="0x000000000000000000000000000000000000dEaD")
    assert without.etf.caller.multicall is not None
    reading = await without.etf.read(with_mc.core.last_metrics_block)
    assert without.etf.caller.multicall is None  # no code there: batch of eth_calls
    assert reading == with_mc.core.previous
