"""Uniswap V3 beside a `Dex` (ballast.testing.dex), for the tests of concentrated liquidity:
`deploy_dex_v3(dex)` puts the real V3 factory, position manager and SwapRouter on the same anvil
(ballast.devnet.uniswap_v3) with a PUMP/PSTR 0.30% pool at the V2 pool's price (0.5 PSTR per
PUMP), seeded deep by the deployer from price / 4 to price x 4."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3

from ballast.common.deployment import ConcentratedPoolInfo, UniswapV3Info
from ballast.common.evm.artifacts import load_artifact
from ballast.devnet.chain import Sender, contract
from ballast.devnet.uniswap_v3 import deploy_uniswap_v3, seed_pool
from ballast.testing.dex import Dex

FEE = 3000
SEED_PUMP, SEED_PSTR = 10**25, 5 * 10**24  # 10M PUMP : 5M PSTR


@dataclass
class DexV3:
    dex: Dex
    v3: UniswapV3Info
    pool: ConcentratedPoolInfo

    def contract(self, name: str, address: str) -> Any:
        return contract(self.dex.w3, load_artifact(name), address)

    def slot0(self) -> tuple[int, int]:
        """(sqrtPriceX96, tick) of the pool now."""
        found = self.contract("UniswapV3Pool", self.pool.pool).functions.slot0().call()
        return int(found[0]), int(found[1])

    def positions(self, owner: str) -> list[tuple[int, int, int, int]]:
        """(tokenId, tickLower, tickUpper, liquidity) of every position NFT `owner` holds."""
        npm = self.contract("NonfungiblePositionManager", self.v3.position_manager)
        found: list[tuple[int, int, int, int]] = []
        for index in range(int(npm.functions.balanceOf(owner).call())):
            token_id = int(npm.functions.tokenOfOwnerByIndex(owner, index).call())
            p = npm.functions.positions(token_id).call()
            found.append((token_id, int(p[5]), int(p[6]), int(p[7])))
        return found

    def move_price(self, pump_in: int) -> None:
        """The trader sells PUMP into the V3 pool: PSTR per PUMP drops."""
        dex = self.dex
        router = self.contract("SwapRouter", self.v3.router)
        dex.transact(
            self.contract("TestToken", dex.pump).functions.approve(self.v3.router, 2**256 - 1),
            dex.trader,
        )
        dex.transact(
            router.functions.exactInputSingle(
                (dex.pump, dex.pstr, FEE, dex.trader, dex.node.timestamp() + 3600, pump_in, 0, 0)
            ),
            dex.trader,
        )


def deploy_dex_v3(dex: Dex) -> DexV3:
    sender = Sender(dex.w3, dex.node.private_keys[0])
    weth = Web3.to_checksum_address("0x" + "00" * 20)  # no native-token pools here
    v3 = deploy_uniswap_v3(sender, load_artifact, weth)
    pool = seed_pool(sender, load_artifact, v3, (dex.pump, SEED_PUMP), (dex.pstr, SEED_PSTR), FEE)
    sender.settle()
    return DexV3(dex, v3.model_copy(update={"pools": {"PUMP-PSTR-V3": pool}}), pool)
