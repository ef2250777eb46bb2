"""Uniswap V2 on an anvil, for the tests that trade: `deploy_dex(node)` gives a `Dex` (the real
factory, pair and router from contracts/artifacts) with a PUMP/PSTR pool and a USDC/PUMP pool,
three test tokens minted to the deployer, the treasury and a trader."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_typing import HexStr
from eth_utils.crypto import keccak
from web3 import Web3
from web3.types import FilterParams

from ballast.common.evm.artifacts import load_artifact
from ballast.devstack.anvil import Anvil

SWAP_TOPIC = "0x" + keccak(text="Swap(address,uint256,uint256,uint256,uint256,address)").hex()


def artifact(name: str) -> dict[str, Any]:
    """contracts/artifacts/[uniswap/]<name>.json: its abi and creation bytecode."""
    found = load_artifact(name)
    return {"abi": found.abi, "bytecode": found.bytecode}


@dataclass
class Dex:
    """Uniswap V2 (the real factory, pair and router) with a PUMP/PSTR pool on anvil."""

    node: Anvil
    w3: Web3
    router: str
    factory: str
    pair: str
    pump: str
    pstr: str
    usdc: str
    deployer: str
    treasury: str
    treasury_key: str
    trader: str

    def contract(self, name: str, address: str) -> Any:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address),
                                    abi=artifact(name)["abi"])

    def transact(self, fn: Any, sender: str) -> Any:
        tx_hash = fn.transact({"from": Web3.to_checksum_address(sender)})
        return self.w3.eth.wait_for_transaction_receipt(tx_hash)

    def swaps(self, from_block: int = 0) -> list[Any]:
        """Swap events of the PUMP/PSTR pair."""
        query: FilterParams = {
            "address": Web3.to_checksum_address(self.pair),
            "topics": [HexStr(SWAP_TOPIC)],
            "fromBlock": from_block,
            "toBlock": "latest",
        }
        return list(self.w3.eth.get_logs(query))

    def nonce(self, account: str) -> int:
        return int(self.w3.eth.get_transaction_count(Web3.to_checksum_address(account)))

    def move_price(self, pump_in: int) -> None:
        """A trader sells PUMP into the pool: PSTR out per PUMP drops."""
        router = self.contract("UniswapV2Router02", self.router)
        deadline = self.node.timestamp() + 3600
        self.transact(router.functions.swapExactTokensForTokens(
            pump_in, 0, [self.pump, self.pstr], self.trader, deadline
        ), self.trader)


def deploy_dex(node: Anvil) -> Dex:
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    deployer, treasury, trader = (Web3.to_checksum_address(a) for a in node.accounts[:3])

    def deploy(name: str, *args: Any) -> str:
        spec = artifact(name)
        factory = w3.eth.contract(abi=spec["abi"], bytecode=spec["bytecode"])
        tx_hash = factory.constructor(*args).transact({"from": deployer})
        return str(w3.eth.wait_for_transaction_receipt(tx_hash)["contractAddress"])

    weth = deploy("WETH9")
    factory = deploy("UniswapV2Factory", deployer)
    router = deploy("UniswapV2Router02", factory, weth)
    pump = deploy("TestToken", "Pump", "PUMP", 18)
    pstr = deploy("TestToken", "Pstr", "PSTR", 18)
    usdc = deploy("TestToken", "USD Coin", "USDC", 6)
    dex = Dex(node, w3, router, factory, "", pump, pstr, usdc, deployer, treasury,
              node.private_keys[1], trader)
    big = 10**30
    for token in (pump, pstr, usdc):
        contract = dex.contract("TestToken", token)
        for holder in (deployer, treasury, trader):
            dex.transact(contract.functions.mint(holder, big), deployer)
        for holder in (deployer, trader):
            dex.transact(contract.functions.approve(router, 2**256 - 1), holder)
    r = dex.contract("UniswapV2Router02", router)
    deadline = node.timestamp() + 10**6
    # 10M PUMP : 5M PSTR (0.5 PSTR per PUMP); 1M USDC : 2M PUMP
    dex.transact(r.functions.addLiquidity(pump, pstr, 10**25, 5 * 10**24, 0, 0, deployer,
                                          deadline), deployer)
    dex.transact(r.functions.addLiquidity(usdc, pump, 10**12, 2 * 10**24, 0, 0, deployer,
                                          deadline), deployer)
    f = dex.contract("UniswapV2Factory", factory)
    dex.pair = str(f.functions.getPair(pump, pstr).call())
    return dex
