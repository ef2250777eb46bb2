"""Make the devnet say what a scenario step says: one step, one block.

Per step the driver (as the deployment's `trader`, an anvil public test key):

1. waits `dt / speed` wall seconds (dt: the chain seconds since the previous step) and puts the
   step's block `dt` chain seconds after the latest one (never behind the wall clock when paced);
2. switches automine off, sends every write of the step with explicit gas: `setAnswer` on each
   targeted aggregator, one MockPyth `updatePriceFeeds` (data from its own
   `createPriceFeedUpdateData`, `publishTime` = the step's block time, paying `getUpdateFee`), and
   one router swap per pool whose ratio must move (so Swap events and volume exist);
3. mines them as one block with `evm_mine(timestamp)`, switches automine back on (always, also on
   an error) and checks every receipt.

One block per step is what makes "a one-block spike" exact and lets a test read a step's effect
at one block number. Other processes' transactions sent during the few milliseconds with automine
off simply land in the step's block.

Time. `speed` 1 (the default) is real time: the chain's clock stays on the wall clock, which is
what services need that compare on-chain timestamps (`updatedAt`, `publishTime`) with their own
clock. `speed` above 1 compresses time, a day of market in minutes: the chain's clock then runs
ahead of the wall clock, and stays ahead, so a wall-clock staleness check sees timestamps from
the future (never stale). Compress when what watches reads the chain's clock (tests, backtests,
a service configured to use block time); `speed` 0 does not wait at all (tests).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.types import BlockIdentifier

from ballast.cli.scenarios.model import SOURCES, Source, Step
from ballast.common.deployment import Deployment
from ballast.common.evm.artifacts import load_artifact
from ballast.devnet import prices as P
from ballast.devnet.chain import Sender, connect, contract, rpc
from ballast.devnet.deployer import DEADLINE, TRADER_KEY, pyth_update_data

GAS_ANSWER = 150_000
GAS_PYTH_BASE = 120_000
GAS_PYTH_EACH = 80_000
GAS_SWAP = 250_000
RATIO_TOLERANCE = Fraction(1, 10_000)  # pools within 1 bp of their target are left alone
FEE_NUM, FEE_DEN = 997, 1000


def amount_in_for_ratio(r_in: int, r_out: int, target: Fraction) -> int:
    """Smallest input that brings r_out'/r_in' down to `target` through a Uniswap V2 swap.

    Selling `in` raises r_in and lowers r_out; out = 997 x r_out / (1000 r_in + 997 x), the fee
    staying in the pool. Bisection on the integer input: exact and a few dozen iterations.
    """
    if Fraction(r_out, r_in) <= target:
        return 0

    def ratio(x: int) -> Fraction:
        out = FEE_NUM * x * r_out // (FEE_DEN * r_in + FEE_NUM * x)
        return Fraction(r_out - out, r_in + x)

    lo, hi = 0, r_in
    while ratio(hi) > target:
        hi *= 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ratio(mid) > target:
            lo = mid
        else:
            hi = mid
    return hi


@dataclass(frozen=True)
class Pool:
    name: str
    pair: Contract
    symbol0: str  # feed symbol of token0 (WCORE -> CORE, USDC -> USD)
    symbol1: str
    token0: str
    token1: str
    decimals0: int
    decimals1: int


def _feed_symbol(token_symbol: str) -> str:
    return {"WCORE": "CORE", "USDC": "USD"}.get(token_symbol, token_symbol)


class Market:
    """Read and write the devnet's prices: aggregators, MockPyth, Uniswap pools."""

    def __init__(self, w3: Web3, deployment: Deployment, artifacts: Path | None = None) -> None:
        self.w3 = w3
        self.d = deployment
        art = lambda name: load_artifact(name, artifacts)  # noqa: E731
        self.aggregators = {s: contract(w3, art("TestAggregator"), f.aggregator)
                            for s, f in deployment.feeds.items()}
        self.pyth = contract(w3, art("MockPyth"), deployment.pyth)
        self.router = contract(w3, art("UniswapV2Router02"), deployment.uniswap.router)
        self.erc20 = art("TestToken")
        by_address = {t.address.lower(): s for s, t in deployment.tokens.items()}
        self.pools: list[Pool] = []
        for name, info in deployment.pools.items():
            s0, s1 = by_address[info.token0.lower()], by_address[info.token1.lower()]
            self.pools.append(Pool(
                name, contract(w3, art("UniswapV2Pair"), info.pair),
                _feed_symbol(s0), _feed_symbol(s1), info.token0, info.token1,
                deployment.tokens[s0].decimals, deployment.tokens[s1].decimals))
        self.trader = Sender(w3, TRADER_KEY)

    # ------------------------------------------------------------------ reads
    def aggregator(self, symbol: str, block: BlockIdentifier = "latest") -> tuple[Decimal, int]:
        """(answer in USD, updatedAt) of the symbol's aggregator."""
        feed = self.aggregators[symbol]
        _, answer, _, updated_at, _ = feed.functions.latestRoundData().call(
            block_identifier=block)
        return Decimal(answer).scaleb(-self.d.feeds[symbol].decimals), int(updated_at)

    def pyth_price(self, symbol: str, block: BlockIdentifier = "latest") -> tuple[Decimal, int]:
        """(price in USD, publishTime) MockPyth holds for the symbol."""
        feed_id = bytes.fromhex(self.d.feeds[symbol].pyth_id[2:])
        price, _, expo, publish = self.pyth.functions.getPriceUnsafe(feed_id).call(
            block_identifier=block)
        return Decimal(price).scaleb(expo), int(publish)

    def pool_price(self, name: str, block: BlockIdentifier = "latest") -> Decimal:
        """token0 in units of token1, whole tokens, from the pool's reserves."""
        pool = next(p for p in self.pools if p.name == name)
        r0, r1, _ = pool.pair.functions.getReserves().call(block_identifier=block)
        return (Decimal(r1).scaleb(-pool.decimals1)) / Decimal(r0).scaleb(-pool.decimals0)

    def price_of(self, base: str, quote: str, block: BlockIdentifier = "latest") -> Decimal:
        """`base` in units of `quote` from their pool (feed symbols: CORE for WCORE, USD for
        USDC), whichever order the pair holds them in."""
        pool = next(p for p in self.pools if {p.symbol0, p.symbol1} == {base, quote})
        price0in1 = self.pool_price(pool.name, block)
        return price0in1 if pool.symbol0 == base else 1 / price0in1

    def dex_prices(self, block: BlockIdentifier = "latest") -> dict[str, Decimal]:
        """USD prices implied by the pools: PSTR and CORE against USDC, PUMP through WCORE."""
        core = self.price_of("CORE", "USD", block)
        pump = self.price_of("PUMP", "CORE", block) * core
        return {"PSTR": self.price_of("PSTR", "USD", block), "CORE": core, "PUMP": pump}

    def start_prices(self) -> dict[str, Decimal]:
        """Per symbol, the median of what the sources say now (robust to one bad source)."""
        dex = self.dex_prices()
        out: dict[str, Decimal] = {}
        for symbol in self.d.feeds:
            seen = [self.aggregator(symbol)[0], self.pyth_price(symbol)[0]]
            if symbol in dex:
                seen.append(dex[symbol])
            out[symbol] = statistics.median(seen)
        return out

    def latest_timestamp(self) -> int:
        block: Any = self.w3.eth.get_block("latest")
        return int(block["timestamp"])

    # ------------------------------------------------------------------ writes
    def apply(self, step: Step, timestamp: int) -> tuple[int, list[str]]:
        """Send the step's writes and mine them in one block at `timestamp`; (block, notes)."""
        notes: list[str] = []
        rpc(self.w3, "evm_setAutomine", False)
        try:
            self.trader.nonce = self.w3.eth.get_transaction_count(self.trader.address, "pending")
            for symbol, price in self._with_pegs(step, "aggregator").items():
                self.trader.call(self.aggregators[symbol], "setAnswer",
                                 P.usd_units(price, self.d.feeds[symbol].decimals),
                                 gas=GAS_ANSWER)
            self._push_pyth(self._with_pegs(step, "pyth"), timestamp)
            notes += self._swap_pools(step.targets.get("dex", {}))
            rpc(self.w3, "evm_mine", timestamp)
        finally:
            rpc(self.w3, "evm_setAutomine", True)
        self.trader.settle()
        return self.w3.eth.block_number, notes

    def _with_pegs(self, step: Step, source: Source) -> dict[str, Decimal]:
        """The step's targets for `source`, plus each stablecoin's peg unless the step names it
        (so a stablecoin feed beats on every step and never goes stale by accident)."""
        targets = dict(step.targets.get(source, {}))
        for symbol, peg in P.PEGGED_USD.items():
            if symbol in self.d.feeds:
                targets.setdefault(symbol, peg)
        return targets

    def _push_pyth(self, targets: dict[str, Decimal] | Any, timestamp: int) -> None:
        if not targets:
            return
        updates = [pyth_update_data(self.pyth, self.d.feeds[s].pyth_id, price, timestamp)
                   for s, price in targets.items()]
        fee = int(self.pyth.functions.getUpdateFee(updates).call())
        self.trader.call(self.pyth, "updatePriceFeeds", updates, value=fee,
                         gas=GAS_PYTH_BASE + GAS_PYTH_EACH * len(updates))

    def _swap_pools(self, usd: dict[str, Decimal] | Any) -> list[str]:
        prices = {**usd, "USD": Decimal(1)}
        notes: list[str] = []
        for pool in self.pools:
            if pool.symbol0 not in prices or pool.symbol1 not in prices:
                continue
            # target reserve1/reserve0 in base units
            target = (Fraction(prices[pool.symbol0]) / Fraction(prices[pool.symbol1])
                      * Fraction(10) ** (pool.decimals1 - pool.decimals0))
            r0, r1, _ = pool.pair.functions.getReserves().call()
            current = Fraction(r1, r0)
            if abs(current / target - 1) <= RATIO_TOLERANCE:
                continue
            if current > target:  # token0 too dear: sell token0
                token_in, token_out = pool.token0, pool.token1
                amount = amount_in_for_ratio(r0, r1, target)
            else:
                token_in, token_out = pool.token1, pool.token0
                amount = amount_in_for_ratio(r1, r0, 1 / target)
            erc20 = contract(self.w3, self.erc20, token_in)
            balance = int(erc20.functions.balanceOf(self.trader.address).call())
            if amount > balance:
                notes.append(f"{pool.name}: trader short of input, swapped {balance} of {amount}")
                amount = balance
            if amount > 0:
                self.trader.call(self.router, "swapExactTokensForTokens", amount, 0,
                                 [token_in, token_out], self.trader.address, DEADLINE,
                                 gas=GAS_SWAP)
        return notes


def run_steps(
    market: Market,
    steps: Iterable[Step],
    *,
    interval: int,
    speed: float = 0.0,
    out: Callable[[str], None] = print,
    stop: Callable[[], bool] = lambda: False,
) -> list[tuple[Step, int]]:
    """Execute `steps` in order; returns (step, block) for each. `speed` is chain seconds per wall
    second (0 or less: no sleeping at all)."""
    done: list[tuple[Step, int]] = []
    previous_at = 0
    for step in steps:
        if stop():
            break
        dt = max(1, step.at - previous_at)
        if speed > 0 and done:
            time.sleep(dt / speed)
        timestamp = market.latest_timestamp() + dt
        if speed > 0:  # paced: never let the chain's clock fall behind the wall clock
            timestamp = max(timestamp, int(time.time()))
        block, notes = market.apply(step, timestamp)
        previous_at = step.at
        done.append((step, block))
        out(_line(step, block, timestamp, notes))
    return done


def _line(step: Step, block: int, timestamp: int, notes: list[str]) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(timestamp))
    sources = ",".join(s for s in SOURCES if step.targets.get(s))
    extra = f" [{'; '.join(notes)}]" if notes else ""
    return f"step {step.index:>3}  t+{step.at:>6}s  block {block:>6}  {stamp}Z  " \
           f"({sources}) {step.note}{extra}"


def open_market(rpc_url: str, deployment: Deployment, artifacts: Path | None = None) -> Market:
    return Market(connect(rpc_url), deployment, artifacts)
