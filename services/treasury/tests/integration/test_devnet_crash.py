"""The devnet crash scenario through the treasury: the deployer's contracts on anvil, the
treasury's balances and PSTR supply read by the service's own web3 reader, the `crash` scenario
(PSTR -35% in 12 steps on every source) moving the chain, and treasury.state walking through
tiers 1, 2 and 3 while health.score falls.

The oracle is not part of this test: after each step it reads the aggregator answers at that
block and publishes them as ConsensusPrice, standing in for the oracle service (the e2e tests run
the real one). The 30-day VWAP is seeded with a month of PSTR/USDC trades at the starting $1.00.
USDC has no feed on the devnet; the test publishes its consensus at 1.00, as the oracle must
(the treasury never assumes a peg).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from ballast.cli.scenarios.driver import Market
from ballast.cli.scenarios.generators import generate
from ballast.cli.scenarios.model import ScenarioParams
from ballast.common.messages import (
    ConsensusPrice,
    ConsensusStatus,
    HealthLevel,
    StateStatus,
    Trade,
    TradeSide,
    utcnow,
)
from ballast.common.subjects import prices_consensus, trades
from ballast.devnet import deploy
from ballast.devnet.chain import connect
from ballast.treasury.domain.vwap import to_units
from ballast.treasury.main import build_app
from ballast.treasury.settings import TreasurySettings

RANK = {HealthLevel.EXCELLENT: 4, HealthLevel.GOOD: 3, HealthLevel.MODERATE: 2,
        HealthLevel.POOR: 1, HealthLevel.CRITICAL: 0}


def history(i: int) -> Trade:
    """A month of PSTR/USDC trades at the deployment's $1.00, one a day."""
    return Trade(
        venue="uniswap_v2", pair="PSTR-USDC", base_symbol="PSTR", quote_symbol="USDC",
        side=TradeSide.BUY, price=D(1), base_volume=D(100_000), quote_volume=D(100_000),
        tx_hash=f"0x{i:064x}", log_index=0, block_number=i, block_hash="0x" + "b" * 64,
        timestamp=utcnow() - timedelta(days=29, hours=23) + timedelta(days=i),
    )


async def test_treasury__devnet_crash_scenario__tiers_1_2_3_and_health_falls(
    anvil_snapshot: Any, tmp_path: Path, nats_server: Any, bus_namespace: str,
    database_url: str, listen: Any, publish: Any,
) -> None:
    path = tmp_path / "deployment.json"
    deployment = deploy(anvil_snapshot.rpc_url, path)
    market = Market(connect(anvil_snapshot.rpc_url), deployment)
    settings = TreasurySettings(
        nats_url=nats_server.url, bus_prefix=bus_namespace, database_url=database_url,  # type: ignore[arg-type]
        http_port=0, http_host="127.0.0.1", state_debounce_seconds=0.05,
        rpc_url=anvil_snapshot.rpc_url, deployment_file=path, chain_interval_seconds=1,
    )
    service = build_app(settings)
    out = await listen()
    states, health = out.states, out.health

    async def wait(predicate: Callable[[], bool]) -> None:
        await out.wait(predicate, within=30.0)

    async def oracle(block: int | str) -> D:
        """Publish the aggregators' answers at `block` as consensus; returns PSTR's."""
        now = utcnow()
        answers = {s: market.aggregator(s, block)[0] for s in ("PSTR", "PUMP", "CORE")}
        answers["USDC"] = D(1)
        for symbol, price in answers.items():
            await publish(prices_consensus(symbol), ConsensusPrice(
                symbol=symbol, price=price, status=ConsensusStatus.OK, sources=[],
                sources_used=2, computed_at=now))
        return answers["PSTR"]

    await service.start()
    try:
        for i in range(30):
            await publish(trades("uniswap_v2", "PSTR-USDC"), history(i))
        await wait(lambda: service.core.vwap.volume_total == to_units(D(3_000_000)))
        price = await oracle("latest")
        await wait(lambda: bool(states) and states[-1].status is StateStatus.OK
                   and states[-1].pstr_price == price and bool(health)
                   and health[-1].computed_at == states[-1].computed_at)
        start = states[-1]
        # read from the chain: 45M PUMP + 7.5M USDC (+ the account's native CORE) vs 10M PSTR
        assert start.reserve_ratio is not None and start.reserve_ratio >= D(3)
        assert start.tier == 0 and health[-1].level is HealthLevel.GOOD

        steps = generate("crash", ScenarioParams(
            start=market.start_prices(), anchor=deployment.reference_prices, steps=12))
        walk: list[tuple[int, HealthLevel, D]] = []
        for step in steps:
            block, _ = market.apply(step, market.latest_timestamp() + 60)
            price = await oracle(block)
            await wait(lambda p=price: bool(states) and states[-1].pstr_price == p
                       and bool(health) and health[-1].computed_at == states[-1].computed_at)
            walk.append((states[-1].tier, health[-1].level, health[-1].score))
    finally:
        await service.stop()

    tiers = [t for t, _, _ in walk]
    assert tiers == sorted(tiers) and [t for t in (1, 2, 3) if t in tiers] == [1, 2, 3]
    assert tiers[-1] == 3 and states[-1].deployment_share == D("0.40")
    # each step into a deeper tier lowers the score (within a tier the falling market cap
    # raises the reserve ratio a little, and the score with it)
    for (t0, _, s0), (t1, _, s1) in zip(walk, walk[1:], strict=False):
        if t1 > t0:
            assert s1 < s0, walk
    levels = [RANK[lvl] for _, lvl, _ in walk]
    assert levels == sorted(levels, reverse=True)
    # tier 3 leaves 2 x (1 - 0.40) = 1.2 of the capacity component and RR stays above 3: good
    assert walk[-1][1] is HealthLevel.GOOD
    assert all(s.status is StateStatus.OK for s in states[-len(walk):])
