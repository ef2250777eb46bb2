"""The treasury's side of a concentrated-liquidity pool, on the devnet deployment (anvil, real NATS
and Postgres): with the devnet's PSTR-USDC-V3 in its pool list, the liquidity report asks for an
add while the treasury holds no position there; once a position NFT is minted (here directly
through the position manager, as the treasury account) it reads the position's real ticks, in
range; after the pool price moves past 15% from the band's centre (a swap through the V3
SwapRouter) it asks for a rebalance, under one id for the band."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path
from typing import Any

import nats
from web3 import Web3

from ballast.common.evm.artifacts import load_artifact
from ballast.common.messages import (
    AutomationKind,
    AutomationRequest,
    ConsensusPrice,
    ConsensusStatus,
    utcnow,
)
from ballast.common.subjects import Namespace, prices_consensus
from ballast.devnet import deploy
from ballast.devnet.chain import contract
from ballast.strategy.concentrated import band_ticks, needs_rebalance, price_at_tick, price_of_sqrt
from ballast.strategy.params import StrategyParams
from ballast.testing.waiting import eventually
from ballast.treasury.adapters.chain import Web3ChainReader
from ballast.treasury.domain.concentrated_liquidity import ConcentratedReading
from ballast.treasury.main import build_app, default_chain
from ballast.treasury.settings import TreasurySettings

V3 = "PSTR-USDC-V3"
MAX = 2**256 - 1


class Devnet:
    """The deployed devnet, driven with anvil's unlocked accounts (sync web3)."""

    def __init__(self, rpc_url: str, deployment: Any) -> None:
        self.w3 = Web3(Web3.HTTPProvider(rpc_url))
        self.d = deployment
        self.v3 = deployment.uniswap_v3
        self.pool = self.v3.pools[V3]
        self.npm = self.contract("NonfungiblePositionManager", self.v3.position_manager)

    def contract(self, name: str, address: str) -> Any:
        return contract(self.w3, load_artifact(name), address)

    def send(self, call: Any, sender: str) -> None:
        receipt = self.w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))
        assert receipt["status"] == 1

    def token(self, symbol: str) -> Any:
        return self.contract("TestToken", self.d.tokens[symbol].address)

    def slot0(self) -> tuple[int, int]:
        found = self.contract("UniswapV3Pool", self.pool.pool).functions.slot0().call()
        return int(found[0]), int(found[1])

    def mint_band(self, amount: int) -> tuple[int, int, int]:
        """The treasury mints the ±10% band around the pool price with `amount` of each token
        (PSTR given to it by the trader first); (tokenId, tickLower, tickUpper)."""
        treasury = self.d.treasury
        pstr, usdc = self.token("PSTR"), self.token("USDC")
        self.send(pstr.functions.transfer(treasury, amount * 10**18), self.d.trader)
        for token in (pstr, usdc):
            self.send(token.functions.approve(self.v3.position_manager, MAX), treasury)
        lower, upper = band_ticks(price_of_sqrt(self.slot0()[0]), self.pool.tick_spacing)
        desired = {
            self.d.tokens["PSTR"].address.lower(): amount * 10**18,
            self.d.tokens["USDC"].address.lower(): amount * 10**6,
        }
        p = self.pool
        deadline = self.w3.eth.get_block("latest")["timestamp"] + 3600
        self.send(
            self.npm.functions.mint(
                (
                    p.token0,
                    p.token1,
                    p.fee,
                    lower,
                    upper,
                    desired[p.token0.lower()],
                    desired[p.token1.lower()],
                    0,
                    0,
                    treasury,
                    deadline,
                )
            ),
            treasury,
        )
        count = int(self.npm.functions.balanceOf(treasury).call())
        token_id = int(self.npm.functions.tokenOfOwnerByIndex(treasury, count - 1).call())
        return token_id, lower, upper

    def buy_pstr(self, usdc: int) -> None:
        """The trader pays `usdc` USDC for PSTR through the V3 SwapRouter: PSTR's price rises."""
        trader, router = self.d.trader, self.contract("SwapRouter", self.v3.router)
        self.send(self.token("USDC").functions.approve(self.v3.router, MAX), trader)
        deadline = self.w3.eth.get_block("latest")["timestamp"] + 3600
        usdc_address, pstr_address = self.d.tokens["USDC"].address, self.d.tokens["PSTR"].address
        self.send(
            router.functions.exactInputSingle(
                (usdc_address, pstr_address, self.pool.fee, trader, deadline, usdc * 10**6, 0, 0)
            ),
            trader,
        )


async def test_treasury__v3_pool_configured__add_then_real_ticks_in_range_then_one_rebalance(
    requested: list[AutomationRequest],
    anvil_snapshot: Any,
    tmp_path: Path,
    nats_server: Any,
    bus_namespace: str,
    database_url: str,
    nc: nats.NATS,
) -> None:
    path = tmp_path / "deployment.json"
    deployment = deploy(anvil_snapshot.rpc_url, path)
    chain = Devnet(anvil_snapshot.rpc_url, deployment)
    settings = TreasurySettings(
        nats_url=nats_server.url,
        bus_prefix=bus_namespace,
        database_url=database_url,  # type: ignore[arg-type]
        http_port=0,
        http_host="127.0.0.1",
        state_debounce_seconds=0.05,
        rpc_url=anvil_snapshot.rpc_url,
        deployment_file=path,
    )
    # the default pool list reads no V3 pool: the devnet behaves as before
    default = default_chain(settings)
    assert isinstance(default, Web3ChainReader) and default.layout.concentrated == ()
    settings = settings.model_copy(update={"liquidity_pools": ("PUMP-WCORE", V3)})
    service = build_app(settings)
    core = service.core
    ns = Namespace(bus_namespace)
    await service.start()
    try:
        prices = {**deployment.reference_prices, "USDC": D(1), "WCORE": D("1.20")}
        for symbol, price in prices.items():
            await nc.jetstream().publish(
                ns.subject(prices_consensus(symbol)),
                ConsensusPrice(
                    symbol=symbol,
                    price=price,
                    status=ConsensusStatus.OK,
                    sources=[],
                    sources_used=2,
                    computed_at=utcnow(),
                )
                .model_dump_json()
                .encode(),
            )
        await eventually(lambda: all(s in core.prices for s in ("PSTR", "USDC", "PUMP")))
        await core.recompute()  # the holdings an add is funded from

        # 1. no position in the V3 pool: an add of its 40% budget, funded from USDC
        first = await core.reports.liquidity_report()
        assert first is not None
        v3 = next(p for p in first.positions if p.pair == V3)
        assert (v3.pool, v3.lp_balance_raw, v3.value_usd, v3.in_range) == (
            chain.pool.pool,
            0,
            D(0),
            False,
        )
        assert v3.target_weight == D("0.40")
        assert "PSTR-USDC" not in {p.pair for p in first.positions}  # not in the list now
        await eventually(lambda: any(r.details.get("pair") == V3 for r in requested))
        adds = [r for r in requested if r.details.get("pair") == V3]
        add = adds[-1]  # the daily job, caught up at start, may have asked too: the same id
        assert {(r.kind, r.request_id) for r in adds} == {(add.kind, add.request_id)}
        assert add.kind is AutomationKind.LIQUIDITY_ADD
        assert add.request_id == f"{V3}-{add.requested_at:%Y%m%d}"
        assert add.amount_usd == D(40_000) and add.details["pool"] == chain.pool.pool
        assert add.details["fund_symbol"] == "USDC" and add.details["fund_raw"] == str(
            40_000 * 10**6
        )

        # 2. a position minted by the treasury: its real ticks, in range
        token_id, lower, upper = chain.mint_band(20_000)
        second = await core.reports.liquidity_report()
        assert second is not None
        assert core.chain is not None
        readings = [r for r in await core.chain.pools() if isinstance(r, ConcentratedReading)]
        ((position,),) = [r.positions for r in readings]
        assert (position.token_id, position.tick_lower, position.tick_upper) == (
            token_id,
            lower,
            upper,
        )
        v3 = next(p for p in second.positions if p.pair == V3)
        scale = (
            chain.d.tokens[_symbol(chain, 0)].decimals - chain.d.tokens[_symbol(chain, 1)].decimals
        )
        assert v3.range_lower == price_at_tick(lower).scaleb(scale)
        assert v3.range_upper == price_at_tick(upper).scaleb(scale)
        assert v3.in_range and v3.lp_balance_raw == position.liquidity > 0
        assert v3.value_usd is not None and D(35_000) < v3.value_usd <= D(40_000)
        assert second.in_range_share == 1  # the only position with value
        assert not second.rebalance_needed

        # 3. the pool price pushed past 15% from the band's centre: one rebalance, per band
        chain.buy_pstr(750_000)
        assert needs_rebalance(price_of_sqrt(chain.slot0()[0]), lower, upper, StrategyParams())
        moved = await core.reports.liquidity_report()
        again = await core.reports.liquidity_report()
        assert moved is not None and again is not None
        v3 = next(p for p in moved.positions if p.pair == V3)
        assert moved.rebalance_needed and not v3.in_range
        assert v3.fees_earned_usd is not None and v3.fees_earned_usd > 0  # the swap crossed it
        assert v3.impermanent_loss is not None and v3.impermanent_loss < 0
        rebalance = AutomationKind.LIQUIDITY_REBALANCE
        await eventually(lambda: len([r for r in requested if r.kind is rebalance]) == 2)
        ours = [r for r in requested if r.kind is rebalance]
        assert {r.details["pair"] for r in ours} == {V3}
        assert {r.request_id for r in ours} == {f"{V3}-band-{token_id}"}
        assert {r.details["pool"] for r in ours} == {chain.pool.pool}
        # each report is a message of its own (an executor started after the first still
        # hears it); the executor keeps the action once by the one request id above
        subject = ns.subject("automation.requested.liquidity_rebalance")
        info = await nc.jetstream().stream_info(ns.stream("ACTIONS"), subjects_filter=subject)
        assert info.state.subjects == {subject: 2}
    finally:
        await service.stop()


def _symbol(chain: Devnet, index: int) -> str:
    address = (chain.pool.token0, chain.pool.token1)[index].lower()
    return next(s for s, t in chain.d.tokens.items() if t.address.lower() == address)
