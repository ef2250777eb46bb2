"""The bot's key sending through the treasury Safe's Roles modifier on a devnet with custody
(`ballast deploy devnet --safe`): what the custody tests of libs/devnet drive."""

from __future__ import annotations

from typing import Any

from eth_abi.abi import decode
from web3 import Web3
from web3.contract import Contract
from web3.types import RPCEndpoint

from ballast.common.deployment import CustodyInfo
from ballast.common.evm.artifacts import load_artifact
from ballast.common.evm.multisend import DELEGATE_CALL, Inner, pack
from ballast.devnet import Deployment
from ballast.devnet.chain import Sender, contract
from ballast.devnet.deployer import TREASURY_KEY

GAS = 2_000_000
"""Explicit gas: the transaction is mined even when it reverts (no estimate refuses it first)."""
DEADLINE = 2**40
CONDITION_VIOLATION = Web3.keccak(text="ConditionViolation(uint8,bytes32)")[:4]
OR_VIOLATION = 5
"""Roles v2 `Status.OrViolation` (Types.sol): no branch of an either-condition holds; the
swap's two branches (the intervention's and the accumulation's) make an allowance overrun one."""


class Bot:
    """The intervention key, sending through the Roles modifier."""

    def __init__(self, w3: Web3, d: Deployment, custody: CustodyInfo) -> None:
        self.w3, self.d, self.custody = w3, d, custody
        self.sender = Sender(w3, TREASURY_KEY)
        self.roles = contract(w3, load_artifact("Roles"), custody.roles)
        self.role = custody.role.encode().ljust(32, b"\0")

    def token(self, symbol: str) -> Contract:
        return contract(self.w3, load_artifact("TestToken"), self.d.tokens[symbol].address)

    def router(self) -> Contract:
        return contract(self.w3, load_artifact("UniswapV2Router02"), self.d.uniswap.router)

    def through_role(self, target: Contract, fn: str, *args: Any) -> dict[str, Any]:
        """execTransactionWithRole(target.fn(args)); the mined receipt (status 0 if reverted)."""
        data = bytes.fromhex(target.encode_abi(fn, args=list(args))[2:])
        self.sender.call(self.roles, "execTransactionWithRole", target.address, 0, data, 0,
                         self.role, True, gas=GAS)
        return self.sender.settle(strict=False)[-1]

    def batch(self, calls: list[Inner]) -> dict[str, Any]:
        """The calls as one MultiSendCallOnly batch the Safe delegate-calls, through the modifier
        (which unwraps it and checks each call); the mined receipt."""
        assert self.custody.multisend is not None
        self.sender.call(self.roles, "execTransactionWithRole", self.custody.multisend, 0,
                         pack(calls), DELEGATE_CALL, self.role, True, gas=GAS)
        return self.sender.settle(strict=False)[-1]

    def swap_args(self, amount_in: int, to: str) -> list[Any]:
        pump, pstr = self.d.tokens["PUMP"].address, self.d.tokens["PSTR"].address
        quoted = self.router().functions.getAmountsOut(amount_in, [pump, pstr]).call()[-1]
        return [amount_in, quoted * 98 // 100, [pump, pstr], to, DEADLINE]

    def violation(self, target: Contract, fn: str, *args: Any) -> tuple[int, bytes]:
        """The modifier's ConditionViolation(status, info) for this call (eth_call)."""
        reply = self._dry_run(target, fn, *args)
        assert "error" in reply, f"{fn} would go through: {reply}"
        error = bytes.fromhex(str(reply["error"]["data"])[2:])  # type: ignore[index]
        assert error[:4] == CONDITION_VIOLATION, error.hex()
        status, info = decode(["uint8", "bytes32"], error[4:])
        return int(status), bytes(info)

    def goes_through(self, target: Contract, fn: str, *args: Any) -> bool:
        """The modifier lets this call through and it succeeds (eth_call, nothing mined)."""
        return "error" not in self._dry_run(target, fn, *args)

    def _dry_run(self, target: Contract, fn: str, *args: Any) -> Any:
        data = target.encode_abi(fn, args=list(args))
        call = self.roles.encode_abi("execTransactionWithRole",
                                     [target.address, 0, data, 0, self.role, True])
        return self.w3.provider.make_request(RPCEndpoint("eth_call"), [
            {"from": self.sender.address, "to": self.roles.address, "data": call}, "latest"])
