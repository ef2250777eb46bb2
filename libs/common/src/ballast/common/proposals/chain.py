"""The Safe on chain, as the proposal store needs it (AsyncWeb3; the `evm` and `safe` extras).

`state` reads owners, threshold, nonce and chain id; `executed` finds the Safe's
ExecutionSuccess/ExecutionFailure event for a Safe transaction hash (indexed in Safe 1.4.1);
`execute` sends `execTransaction` from a payer key (any account: the signatures authorise it,
the payer only pays gas) after an `eth_estimateGas` that refuses, before anything is sent, a call
the Safe would revert (a nonce that moved, a signature that does not recover to an owner).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3 import AsyncWeb3
from web3.exceptions import ContractLogicError

from ballast.common.evm.artifacts import load_artifact
from ballast.common.evm.safe_tx import SafeCall

SUCCESS_TOPIC = AsyncWeb3.keccak(text="ExecutionSuccess(bytes32,uint256)")
FAILURE_TOPIC = AsyncWeb3.keccak(text="ExecutionFailure(bytes32,uint256)")
RECEIPT_SECONDS = 120.0


class ExecutionRefused(RuntimeError):  # noqa: N818 - reads as what happened
    """The chain refused `execTransaction` before it was sent (the message says why)."""


@dataclass(frozen=True)
class SafeState:
    safe: str
    chain_id: int
    nonce: int
    threshold: int
    owners: tuple[str, ...]
    block: int


@dataclass(frozen=True)
class Executed:
    tx_hash: str
    succeeded: bool
    block: int


class SafeOnChain:
    def __init__(self, w3: AsyncWeb3[Any], safe: str) -> None:
        self.w3 = w3
        self.address = to_checksum_address(safe)
        self.contract = w3.eth.contract(address=self.address, abi=load_artifact("SafeL2").abi)

    async def state(self) -> SafeState:
        f = self.contract.functions
        block = await self.w3.eth.block_number
        owners = await f.getOwners().call(block_identifier=block)
        return SafeState(
            safe=self.address, chain_id=int(await self.w3.eth.chain_id),
            nonce=int(await f.nonce().call(block_identifier=block)),
            threshold=int(await f.getThreshold().call(block_identifier=block)),
            owners=tuple(to_checksum_address(o) for o in owners), block=int(block))

    async def transaction_hash(self, call: SafeCall) -> bytes:
        """The contract's own `getTransactionHash` of `call` (a cross-check of `call.hash`)."""
        args = call.exec_args(b"")[:-1]
        return bytes(await self.contract.functions.getTransactionHash(*args, call.nonce).call())

    async def executed(self, call: SafeCall, from_block: int) -> Executed | None:
        """The Safe's record of having run `call` (success or failure) since `from_block`."""
        for topic, ok in ((SUCCESS_TOPIC, True), (FAILURE_TOPIC, False)):
            logs = await self.w3.eth.get_logs({
                "address": self.address, "fromBlock": from_block, "toBlock": "latest",
                "topics": [topic, HexBytes(call.hash)]})
            if logs:
                log = logs[0]
                return Executed("0x" + bytes(log["transactionHash"]).hex(), ok,
                                int(log["blockNumber"]))
        return None

    async def execute(self, call: SafeCall, signatures: bytes, payer_key: str | bytes) -> Executed:
        """Send `execTransaction(call, signatures)` from the payer and wait for its receipt."""
        payer = Account.from_key(payer_key)
        fn = self.contract.functions.execTransaction(*call.exec_args(signatures))
        try:
            gas = await fn.estimate_gas({"from": payer.address})
        except ContractLogicError as err:
            raise ExecutionRefused(f"the Safe refuses the transaction: {err.message}") from err
        tx = await fn.build_transaction({
            "from": payer.address, "gas": gas * 5 // 4, "chainId": call.chain_id,
            "nonce": await self.w3.eth.get_transaction_count(payer.address, "pending")})
        signed = payer.sign_transaction(tx)
        tx_hash = await self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = await self.w3.eth.wait_for_transaction_receipt(tx_hash, RECEIPT_SECONDS)
        ok = receipt["status"] == 1 and any(
            bytes(lg["topics"][0]) == SUCCESS_TOPIC for lg in receipt["logs"]
            if to_checksum_address(lg["address"]) == self.address)
        return Executed("0x" + bytes(tx_hash).hex(), ok, int(receipt["blockNumber"]))
