"""The StakeBasket's books as the chain shows them, and its operator calls `deployLiquidity` /
`recallLiquidity` (contracts/src/etf/StakeBasket.sol)."""

from __future__ import annotations

from typing import Any

from eth_utils.address import to_checksum_address
from hexbytes import HexBytes

from ballast.intervention.adapters.abi import function
from ballast.intervention.adapters.chain import ERC20_ABI
from ballast.intervention.ports import ChainPort
from ballast.strategy.basket import AssetBook

BASKET_ABI: list[dict[str, Any]] = [
    function(n, "", "address") for n in ("queue", "stakingManager", "coreBTC")
] + [function(n, "uint256 a0, uint256 a1", mutable=True)
     for n in ("deployLiquidity", "recallLiquidity")]
QUEUE_ABI = [function("totalQueuedAmount", "", "uint256 r0, uint256 r1")]
MANAGER_ABI = [function(n, "", "uint256 r0")
               for n in ("totalStaked", "lstBtcBalance", "pendingRewards")]


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


def move_calldata(chain: ChainPort, basket: str, function: str, core: int, core_btc: int) -> bytes:
    """`deployLiquidity(core, coreBtc)` or `recallLiquidity(core, coreBtc)`."""
    contract = chain.w3.eth.contract(address=to_checksum_address(basket), abi=BASKET_ABI)
    return bytes(HexBytes(contract.encode_abi(function, [core, core_btc])))
