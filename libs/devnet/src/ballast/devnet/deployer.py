"""`ballast deploy devnet`: the whole local market on an anvil, from the committed artifacts.

What goes on chain (numbers and their reasons: prices.py):

1. tokens: PSTR, PUMP (18 decimals), USDC (6) as TestToken; WCORE as Uniswap's WETH9; coreBTC;
2. Uniswap V2 factory + router (npm build artifacts) and five funded pools: PSTR/PUMP, PSTR/USDC,
   PUMP/WCORE, WCORE/USDC, WCORE/coreBTC, all at the reference prices; Uniswap V3 (factory,
   position manager, SwapRouter) and one concentrated-liquidity pool, PSTR/USDC 0.30%, at the
   reference price;
3. price sources for CORE, BTC, PSTR, PUMP in USD: a TestAggregator each and one MockPyth;
4. the Core system stand-ins installed with `anvil_setCode` at their real addresses (REFERENCE.md),
   five validators registered in CandidateHub with scores in StakeHub and elected by one
   `turnRound()`, and MockCoreAgent at CoreAgent's address 0x...1011;
5. the StakeBasket suite wired to them (PriceFeed reads the CORE and BTC aggregators and Pyth ids;
   its asset swaps go through the router's WCORE/coreBTC pool);
6. governance: gPSTR (PSTR wrapped 1:1), PstrGovernor (square-root power, staked 1.5x, typed
   quorum/approval: the PSTR seed's "Governance Integration") behind a PstrTimelock;
7. Multicall3 at its canonical address; the treasury and the scenario trader funded;
8. last, the ETF's admin roles and the PriceFeed to the timelock, pause to a guardian (control.py).

Accounts (anvil's public default test keys, never for a real chain): 0 deploys and keeps no
admin role, 1 is the treasury, 2 the scenarios' trader, 6 the guardian when there is no Safe.

Idempotent: when `out` already describes this chain (same chain id, and the recorded addresses
still carry the recorded code) nothing is sent and the recorded deployment is returned.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract

from ballast.common.deployment import (
    ConcentratedPoolInfo,
    Deployment,
    EtfInfo,
    FeedInfo,
    PoolInfo,
    TokenInfo,
    UniswapInfo,
    UniswapV3Info,
)
from ballast.common.evm.artifacts import Artifact, default_artifacts_dir, load_artifact
from ballast.devnet import prices as P
from ballast.devnet.chain import Pipe, Sender, code_check, connect, contract, one_block, rpc
from ballast.devnet.control import hand_over
from ballast.devnet.custody import attach_custody
from ballast.devnet.oracle import write_oracle_config
from ballast.devnet.protocol import deploy_etf, deploy_governance, install_core_system
from ballast.devnet.uniswap_v3 import deploy_uniswap_v3, seed_pool
from ballast.strategy.params import StrategyParams

# anvil's default accounts (mnemonic "test test ... junk"): public test keys, devnet only.
DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
TREASURY_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
TRADER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"

ORACLE_CONFIG = "oracle-devnet.json"
MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11"
MAX_UINT = 2**256 - 1
DEADLINE = 2**40
ETH = 10**18


def pyth_id(symbol: str) -> str:
    return P.PYTH_IDS.get(symbol) or "0x" + keccak(text=f"ballast.devnet.pyth.{symbol}/USD").hex()


def deploy(
    rpc_url: str, out: Path, *, artifacts: Path | None = None, offchain_url: str | None = None,
    custody: StrategyParams | None = None,
) -> Deployment:
    """Deploy the devnet to `rpc_url`, write `out` (deployment.json) and beside it the oracle's
    sources (oracle.py; the local Hermes and Crossbar when `offchain_url` names their server).
    `custody`: the strategy's params, for a treasury Safe the bot reaches by its role."""
    w3 = connect(rpc_url)
    deployment = current_deployment(w3, out)
    if deployment is None or deployment.guardian is None or (custody and not deployment.custody):
        deployment = Deployer(w3, artifacts or default_artifacts_dir(), custody).run()
        deployment.save(out)
    write_oracle_config(deployment, rpc_url, out.with_name(ORACLE_CONFIG), offchain_url)
    return deployment


def current_deployment(w3: Web3, out: Path) -> Deployment | None:
    """The deployment in `out` if it is live on this chain, else None."""
    if not out.is_file():
        return None
    try:
        recorded = Deployment.load(out)
    except ValueError:
        return None
    if recorded.chain_id != w3.eth.chain_id or not recorded.code_check:
        return None
    addresses = list(recorded.contract_addresses().values())
    if any(len(w3.eth.get_code(to_checksum_address(a))) == 0 for a in addresses):
        return None
    if code_check(w3, addresses) != recorded.code_check:
        return None
    return recorded


class Deployer:
    def __init__(self, w3: Web3, artifacts: Path, custody: StrategyParams | None = None) -> None:
        self.w3 = w3
        self.custody = custody
        self.dir = artifacts
        self.pipe = Pipe(w3)
        self.admin = Sender(w3, DEPLOYER_KEY, self.pipe)
        self.treasury = Sender(w3, TREASURY_KEY, self.pipe)
        self.trader = Sender(w3, TRADER_KEY, self.pipe)
        self.tokens: dict[str, TokenInfo] = {}

    # ------------------------------------------------------------------ helpers
    def art(self, name: str) -> Artifact:
        return load_artifact(name, self.dir)

    def at(self, name: str, address: str) -> Contract:
        """A contract handle; waits for the last send, so reads through it see every send."""
        self.pipe.wait()
        return contract(self.w3, self.art(name), address)

    def token(self, symbol: str) -> Contract:
        name = {"WCORE": "WETH9", "coreBTC": "MockCoreBTC", "lstBTC": "MockLstBTC"}.get(symbol)
        return self.at(name or "TestToken", self.tokens[symbol].address)

    def units(self, symbol: str, whole: int | Decimal) -> int:
        return int(Decimal(whole) * 10 ** self.tokens[symbol].decimals)

    # ------------------------------------------------------------------ steps
    def run(self) -> Deployment:
        first_block = self.w3.eth.block_number + 1
        for account in (self.admin, self.trader):
            rpc(self.w3, "anvil_setBalance", account.address, hex(100_000_000 * ETH))
        # gas money only: the treasury's value is its PUMP and USDC (prices.py)
        rpc(self.w3, "anvil_setBalance", self.treasury.address, hex(P.TREASURY_CORE * ETH))
        self.deploy_tokens()
        uniswap = self.deploy_uniswap()
        pools = self.seed_pools(uniswap)
        v3 = self.seed_v3_pools(uniswap)
        pyth, feeds = self.deploy_feeds()
        core_system, vals = install_core_system(self)
        etf = deploy_etf(self, pyth, feeds, core_system, vals, uniswap.router)
        governance = deploy_governance(self)
        multicall = self.install_multicall()
        self.fund_accounts(uniswap, etf)
        safe = attach_custody(self, uniswap, pools, etf, self.custody, v3) if self.custody else None
        guardian = hand_over(self, etf, governance.timelock, safe)
        for sender in (self.admin, self.treasury, self.trader):
            sender.settle()
        deployment = Deployment(
            chain_id=self.w3.eth.chain_id, block=self.w3.eth.block_number, first_block=first_block,
            deployer=self.admin.address, treasury=self.treasury.address,
            trader=self.trader.address, guardian=guardian,
            tokens=self.tokens,
            uniswap=uniswap,
            pools=pools,
            uniswap_v3=v3,
            feeds=feeds,
            pyth=pyth,
            etf=etf,
            core_system=core_system,
            validators=vals,
            governance=governance,
            multicall3=multicall,
            reference_prices=dict(P.FEED_PRICES_USD),
            custody=safe,
        )
        check = code_check(self.w3, list(deployment.contract_addresses().values()))
        return deployment.model_copy(update={"code_check": check})

    def deploy_tokens(self) -> None:
        a = self.admin
        for symbol, name, decimals in (
            ("PSTR", "Pstr", 18),
            ("PUMP", "Pump", 18),
            ("USDC", "USD Coin (devnet)", 6),
        ):
            address = a.deploy(self.art("TestToken"), name, symbol, decimals)
            self.tokens[symbol] = TokenInfo(address=address, decimals=decimals)
        self.tokens["WCORE"] = TokenInfo(address=a.deploy(self.art("WETH9")), decimals=18)
        self.tokens["coreBTC"] = TokenInfo(address=a.deploy(self.art("MockCoreBTC")), decimals=8)

    def deploy_uniswap(self) -> UniswapInfo:
        a = self.admin
        factory = a.deploy(self.art("UniswapV2Factory"), a.address)
        weth = self.tokens["WCORE"].address
        router = a.deploy(self.art("UniswapV2Router02"), factory, weth)
        return UniswapInfo(factory=factory, router=router, weth=weth)

    def seed_pools(self, uniswap: UniswapInfo) -> dict[str, PoolInfo]:
        a = self.admin
        router = self.at("UniswapV2Router02", uniswap.router)
        need: dict[str, int] = {"PSTR": 0, "PUMP": 0, "USDC": 0, "coreBTC": 0}
        for _, (s0, n0), (s1, n1) in P.POOLS:
            for symbol, amount in ((s0, n0), (s1, n1)):
                if symbol in need:
                    need[symbol] += amount
        for symbol, amount in need.items():
            a.call(self.token(symbol), "mint", a.address, self.units(symbol, amount))
            a.call(self.token(symbol), "approve", uniswap.router, MAX_UINT)
        factory = self.at("UniswapV2Factory", uniswap.factory)
        pools: dict[str, PoolInfo] = {}
        for name, (s0, n0), (s1, n1) in P.POOLS:
            if "WCORE" in (s0, s1):
                other, amount = (s1, n1) if s0 == "WCORE" else (s0, n0)
                core = n0 if s0 == "WCORE" else n1
                a.call(router, "addLiquidityETH", self.tokens[other].address,
                       self.units(other, amount), 0, 0, a.address, DEADLINE, value=core * ETH)
            else:
                a.call(router, "addLiquidity", self.tokens[s0].address, self.tokens[s1].address,
                       self.units(s0, n0), self.units(s1, n1), 0, 0, a.address, DEADLINE)
            t0, t1 = sorted((self.tokens[s0].address, self.tokens[s1].address), key=str.lower)
            self.pipe.wait()  # the pair exists once addLiquidity is mined
            pair = factory.functions.getPair(t0, t1).call()
            pools[name] = PoolInfo(pair=to_checksum_address(pair), token0=t0, token1=t1)
        return pools

    def seed_v3_pools(self, uniswap: UniswapInfo) -> UniswapV3Info:
        """Uniswap V3 and the concentrated-liquidity pools of P.V3_POOLS, from the float."""
        v3 = deploy_uniswap_v3(self.admin, self.art, uniswap.weth)
        found: dict[str, ConcentratedPoolInfo] = {}
        for name, (s0, n0), (s1, n1), fee in P.V3_POOLS:
            for symbol, amount in ((s0, n0), (s1, n1)):
                self.admin.call(self.token(symbol), "mint", self.admin.address,
                                self.units(symbol, amount))
            found[name] = seed_pool(self.admin, self.art, v3,
                                    (self.tokens[s0].address, self.units(s0, n0)),
                                    (self.tokens[s1].address, self.units(s1, n1)), fee)
        return v3.model_copy(update={"pools": found})

    def deploy_feeds(self) -> tuple[str, dict[str, FeedInfo]]:
        a = self.admin
        pyth = a.deploy(self.art("MockPyth"), P.FEED_MAX_AGE, 1)
        feeds: dict[str, FeedInfo] = {}
        for symbol, price in P.FEED_PRICES_USD.items():
            aggregator = a.deploy(self.art("TestAggregator"), P.FEED_DECIMALS, f"{symbol} / USD",
                                  P.usd_units(price))
            feeds[symbol] = FeedInfo(aggregator=aggregator, pyth_id=pyth_id(symbol),
                                     decimals=P.FEED_DECIMALS, pyth_expo=P.PYTH_EXPO)
        mock = self.at("MockPyth", pyth)
        publish = int(self.w3.eth.get_block("latest")["timestamp"])  # pyright: ignore[reportTypedDictNotRequiredAccess]
        updates = [
            pyth_update_data(mock, feeds[s].pyth_id, p, publish)
            for s, p in P.FEED_PRICES_USD.items()
        ]
        fee = int(mock.functions.getUpdateFee(updates).call())
        a.call(mock, "updatePriceFeeds", updates, value=fee)
        return pyth, feeds

    def install_multicall(self) -> str:
        if len(self.w3.eth.get_code(to_checksum_address(MULTICALL3))) == 0:
            rpc(self.w3, "anvil_setCode", MULTICALL3, self.art("Multicall3").deployed_bytecode)
        return MULTICALL3

    def fund_accounts(self, uniswap: UniswapInfo, etf: EtfInfo) -> None:
        """Treasury PUMP + USDC; trader tokens and approvals; the rest of the PSTR float."""
        a, t = self.admin, self.trader
        for symbol, amount in (("PUMP", P.TREASURY_PUMP), ("USDC", P.TREASURY_USDC)):
            a.call(self.token(symbol), "mint", self.treasury.address, self.units(symbol, amount))
        for symbol, amount in (("PSTR", P.TRADER_PSTR), ("PUMP", P.TRADER_PUMP),
                               ("USDC", P.TRADER_USDC)):
            a.call(self.token(symbol), "mint", t.address, self.units(symbol, amount))
        minted = sum(n for _, (s0, n0), (s1, n1) in P.POOLS for s, n in ((s0, n0), (s1, n1))
                     if s == "PSTR")
        minted += sum(n for _, (s0, n0), (s1, n1), _ in P.V3_POOLS
                      for s, n in ((s0, n0), (s1, n1)) if s == "PSTR")
        rest = P.PSTR_SUPPLY - minted - P.TRADER_PSTR - P.GOVERNANCE_PSTR
        a.call(self.token("PSTR"), "mint", a.address, self.units("PSTR", rest))
        t.call(self.token("WCORE"), "deposit", value=P.TRADER_WCORE * ETH)
        for symbol in ("PSTR", "PUMP", "USDC", "WCORE"):
            t.call(self.token(symbol), "approve", uniswap.router, MAX_UINT)
        # A first ETF position so NAV, AUM and staking are not all zero: the trader deposits CORE
        # and coreBTC on the 60/40 asset target (prices.py) in one block, so a reader some blocks
        # behind the head never sees it all CORE; the operator stakes 80% of it.
        basket = self.at("StakeBasket", etf.stake_basket)
        t.call(self.token("coreBTC"), "mint", t.address, P.ETF_CORE_BTC_SATS)
        t.call(self.token("coreBTC"), "approve", etf.stake_basket, MAX_UINT)
        with one_block(t):
            t.call(basket, "deposit", 0, value=P.ETF_CORE * ETH, gas=10**6)
            t.call(basket, "depositCoreBTC", P.ETF_CORE_BTC_SATS, 0, gas=10**6)
        a.call(basket, "deployLiquidity", P.ETF_CORE * ETH * 8 // 10, P.ETF_CORE_BTC_SATS * 8 // 10)


def pyth_update_data(mock: Contract, feed_id: str, price: Decimal, publish_time: int) -> bytes:
    """MockPyth's own encoding of one price update (price = ema, conf = PYTH_CONF_BPS)."""
    value = P.usd_units(price, -P.PYTH_EXPO)
    conf = value * P.PYTH_CONF_BPS // 10_000
    data: Any = mock.functions.createPriceFeedUpdateData(
        bytes.fromhex(feed_id[2:]), value, conf, P.PYTH_EXPO, value, conf, publish_time,
        max(publish_time - 1, 0),
    ).call()
    return bytes(data)

