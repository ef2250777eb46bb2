"""The StakeBasket's books as the chain shows them, and its operator calls `deployLiquidity` /
`recallLiquidity` / `swapAssets` (contracts/src/etf/StakeBasket.sol)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eth_utils.address import to_checksum_address
from hexbytes import HexBytes

from ballast.common.evm.abi import function
from ballast.intervention.adapters.chain import ERC20_ABI
from ballast.intervention.ports import ChainPort
from ballast.strategy.assets import Asset
from ballast.strategy.basket import AssetBook

BASKET_ABI: list[dict[str, Any]] = [
    function(n, "", "address")
    for n in ("queue", "stakingManager", "coreBTC", "priceFeed", "swapRouter", "wrappedCore")
] + [function(n, "uint256 a0, uint256 a1", mutable=True)
     for n in ("deployLiquidity", "recallLiquidity")] + [
    function("swapAssets", "uint8 from, uint256 amountIn, uint256 minOut, uint256 deadline",
             "uint256 amountOut", mutable=True)]
QUEUE_ABI = [function("totalQueuedAmount", "", "uint256 r0, uint256 r1")]
MANAGER_ABI = [function(n, "", "uint256 r0")
               for n in ("totalStaked", "lstBtcBalance", "pendingRewards")] + [
    function("targetCoreBps", "", "uint16")]
FEED_ABI = [function("getPrice", "bytes32 symbol", "uint256 price18, uint256 updatedAt")]
E18 = Decimal(10**18)


@dataclass(frozen=True)
class AssetState:
    """What the asset rebalance is sized from: both books, the oracle prices (USD per whole
    CORE, BTC) as the basket reads them, and the CORE share of the asset target."""

    core: AssetBook
    btc: AssetBook
    prices: tuple[Decimal, Decimal]
    target_core_bps: int

    def book(self, asset: Asset) -> AssetBook:
        return self.core if asset is Asset.CORE else self.btc


def _basket(chain: ChainPort, basket: str) -> Any:
    return chain.w3.eth.contract(address=to_checksum_address(basket), abi=BASKET_ABI)


async def books(chain: ChainPort, basket: str) -> tuple[AssetBook, AssetBook]:
    """(CORE, coreBTC) of the basket: balance held, owed to the queue, staked."""
    w3 = chain.w3
    b = w3.eth.contract(address=to_checksum_address(basket), abi=BASKET_ABI)
    queue = w3.eth.contract(address=await b.functions.queue().call(), abi=QUEUE_ABI)
    manager = w3.eth.contract(address=await b.functions.stakingManager().call(),
                              abi=MANAGER_ABI)
    core_btc = w3.eth.contract(address=await b.functions.coreBTC().call(), abi=ERC20_ABI)
    owed_core, owed_btc = await queue.functions.totalQueuedAmount().call()
    core = AssetBook(
        balance=int(await w3.eth.get_balance(to_checksum_address(basket))),
        owed=int(owed_core), staked=int(await manager.functions.totalStaked().call()),
    )
    btc = AssetBook(
        balance=int(await core_btc.functions.balanceOf(to_checksum_address(basket)).call()),
        owed=int(owed_btc), staked=int(await manager.functions.lstBtcBalance().call()),
    )
    return core, btc


async def pending_rewards(chain: ChainPort, basket: str) -> int:
    """The staking rewards a `compound()` would claim now (StakingManager.pendingRewards)."""
    w3 = chain.w3
    b = w3.eth.contract(address=to_checksum_address(basket), abi=BASKET_ABI)
    manager = w3.eth.contract(address=await b.functions.stakingManager().call(),
                              abi=MANAGER_ABI)
    return int(await manager.functions.pendingRewards().call())


async def asset_state(chain: ChainPort, basket: str) -> AssetState:
    core, btc = await books(chain, basket)
    b = _basket(chain, basket)
    feed = chain.w3.eth.contract(address=await b.functions.priceFeed().call(), abi=FEED_ABI)
    prices = [Decimal(int((await feed.functions.getPrice(s.ljust(32, b"\0")).call())[0])) / E18
              for s in (b"CORE", b"BTC")]
    manager = chain.w3.eth.contract(address=await b.functions.stakingManager().call(),
                                    abi=MANAGER_ABI)
    target = int(await manager.functions.targetCoreBps().call())
    return AssetState(core, btc, (prices[0], prices[1]), target)


async def swap_route(chain: ChainPort, basket: str, sell: Asset) -> tuple[str, list[str]]:
    """The basket's router and the path it trades `sell` along (WCORE stands for CORE)."""
    b = _basket(chain, basket)
    router = str(await b.functions.swapRouter().call())
    if int(router, 16) == 0:
        raise LookupError("the StakeBasket has no swap router set")
    wcore, core_btc = str(await b.functions.wrappedCore().call()), str(
        await b.functions.coreBTC().call())
    return router, [wcore, core_btc] if sell is Asset.CORE else [core_btc, wcore]


def swap_calldata(chain: ChainPort, basket: str, sell: Asset, amount_in: int, min_out: int,
                  deadline: int) -> bytes:
    """`swapAssets(sell, amountIn, minOut, deadline)`."""
    data = _basket(chain, basket).encode_abi("swapAssets",
                                             [int(sell), amount_in, min_out, deadline])
    return bytes(HexBytes(data))


def move_calldata(chain: ChainPort, basket: str, function: str, core: int, core_btc: int) -> bytes:
    """`deployLiquidity(core, coreBtc)` or `recallLiquidity(core, coreBtc)`."""
    contract = chain.w3.eth.contract(address=to_checksum_address(basket), abi=BASKET_ABI)
    return bytes(HexBytes(contract.encode_abi(function, [core, core_btc])))
