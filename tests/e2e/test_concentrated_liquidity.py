"""A concentrated-liquidity (Uniswap V3) pool end to end (issue #18): all services as processes on
one devnet, the treasury's pool list naming the devnet's PSTR-USDC-V3 in place of PSTR-USDC.

The treasury's liquidity report (every 2 s here) asks for each pool's budget; the intervention
service (live) adds both: the V2 pair as LP tokens, the V3 pool as a position NFT with the real
±10% band around the pool price. A trader then buys PSTR through the V3 SwapRouter until the
price is more than 15% from the band's centre; the treasury asks for a rebalance, the
intervention service removes the position, re-balances the two tokens and mints the band around
the new price, once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from web3 import Web3

from ballast.cli.scenarios.model import SOURCES, Step
from ballast.common.evm.artifacts import load_artifact
from ballast.strategy.concentrated import band_ticks, price_of_sqrt

V3, V2 = "PSTR-USDC-V3", "PUMP-WCORE"
MAX = 2**256 - 1


@pytest.fixture
def e2e_overrides() -> dict[str, dict[str, str]]:
    return {"treasury": {"LIQUIDITY_INTERVAL_SECONDS": "2",
                         "LIQUIDITY_POOLS": f'["{V2}", "{V3}"]'}}


def hold(price: str) -> Step:
    return Step(index=1, at=30, targets={s: {"PSTR": Decimal(price)} for s in SOURCES})


class Pool:
    """The devnet's V3 pool, its position manager and router (sync web3, anvil's accounts)."""

    def __init__(self, e2e: Any) -> None:
        self.w3, self.d = e2e.market.w3, e2e.system.deployment
        v3 = self.d.uniswap_v3
        self.v3, self.pool = v3, v3.pools[V3]
        self.npm = self.contract("NonfungiblePositionManager", v3.position_manager)

    def contract(self, name: str, address: str) -> Any:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address),
                                    abi=load_artifact(name).abi)

    def sqrt_price(self) -> int:
        pool = self.contract("UniswapV3Pool", self.pool.pool)
        return int(pool.functions.slot0().call()[0])

    def positions(self) -> list[tuple[int, int, int, int]]:
        """(tokenId, tickLower, tickUpper, liquidity) of each NFT the treasury holds."""
        owner = Web3.to_checksum_address(self.d.treasury)
        found = []
        for i in range(int(self.npm.functions.balanceOf(owner).call())):
            token_id = int(self.npm.functions.tokenOfOwnerByIndex(owner, i).call())
            p = self.npm.functions.positions(token_id).call()
            found.append((token_id, int(p[5]), int(p[6]), int(p[7])))
        return found

    def buy_pstr(self, usdc: int) -> None:
        trader, router = self.d.trader, self.contract("SwapRouter", self.v3.router)
        usdc_token = self.contract("TestToken", self.d.tokens["USDC"].address)
        for call in (
            usdc_token.functions.approve(self.v3.router, MAX),
            router.functions.exactInputSingle((
                self.d.tokens["USDC"].address, self.d.tokens["PSTR"].address, self.pool.fee,
                trader, self.w3.eth.get_block("latest")["timestamp"] + 3600, usdc * 10**6, 0, 0)),
        ):
            receipt = self.w3.eth.wait_for_transaction_receipt(call.transact({"from": trader}))
            assert receipt["status"] == 1


def actions(e2e: Any, kind: str, status: str) -> list[dict[str, Any]]:
    return [a for a in e2e.bus.on("automation.executed")
            if a["kind"] == kind and a["status"] == status]


async def test_v3_pool__added_at_its_real_band__rebalanced_once_after_a_move_past_15pct(
    e2e: Any, feeds: Any,
) -> None:
    with feeds(e2e, hold):
        await run(e2e, Pool(e2e))


async def run(e2e: Any, pool: Pool) -> None:
    try:
        await e2e.wait(lambda: len(actions(e2e, "liquidity_add", "confirmed")) == 2, 150, "adds")
    except AssertionError:
        for a in e2e.bus.on("automation.executed"):
            print("EXECUTED", a)
        for a in e2e.bus.on("automation.requested.liquidity_add"):
            print("REQUESTED", a)
        raise
    added = await e2e.wait(lambda: {a["details"]["pair"]: a for a in
                                    actions(e2e, "liquidity_add", "confirmed")}
                           if len(actions(e2e, "liquidity_add", "confirmed")) == 2 else None,
                           150, "both pools added live")
    assert set(added) == {V2, V3}
    [(first_id, lower, upper, liquidity)] = pool.positions()
    assert liquidity > 0
    assert (lower, upper) == band_ticks(price_of_sqrt(pool.sqrt_price()), pool.pool.tick_spacing)

    pool.buy_pstr(750_000)  # PSTR up past 15% from the band's centre
    moved = price_of_sqrt(pool.sqrt_price())
    [rebalance] = await e2e.wait(lambda: actions(e2e, "liquidity_rebalance", "confirmed"), 150,
                                 "the V3 position rebalanced")
    assert rebalance["details"]["pair"] == V3
    [(second_id, new_lower, new_upper, new_liquidity)] = pool.positions()  # the old one burned
    assert second_id != first_id and new_liquidity > 0
    # the new band is around the price after the move (the rebalance's own swap moves it a little)
    centre = band_ticks(moved, pool.pool.tick_spacing)
    spacing = pool.pool.tick_spacing
    assert abs(new_lower - centre[0]) <= 2 * spacing and abs(new_upper - centre[1]) <= 2 * spacing
    assert new_lower > lower  # moved up with the price
    await e2e.wait(lambda: any(
        p["pair"] == V3 and p["in_range"] is True
        for s in e2e.bus.on("liquidity.state")[-3:] for p in s["positions"]),
        30, "liquidity.state: the V3 position in range again")
    assert len([a for a in e2e.bus.on("automation.executed")
                if a["kind"] == "liquidity_rebalance"]) == 1
    for action in (*added.values(), rebalance):
        legs = {k: v for k, v in action["details"].items() if k.endswith("_gas_used")}
        print(f"gas {action['kind']} {action['details']['pair']}: "
              f"{action['details'].get('gas_used')} {legs}")
