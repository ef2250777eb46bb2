"""A thin transaction pipe over web3.py for the deployer and the scenario driver.

Why not `contract.functions.x().transact()` and a receipt wait per call: anvil answers in
milliseconds, so the time goes into round trips. A `Sender` counts its own nonces, computes the
address of each contract it creates from (sender, nonce), signs locally and sends without waiting;
`settle()` then fetches all receipts once and fails loudly, naming the step, if any reverted.

anvil automines, but its eth_sendRawTransaction returns before the block exists. A send with
explicit gas does not care (anvil keeps arrival order); a gas estimate (which also surfaces revert
reasons early) or a read that depends on earlier sends first waits, through the shared `Pipe`, for
the receipt of the last one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import rlp  # pyright: ignore[reportMissingTypeStubs]
from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.types import RPCEndpoint, TxParams

from ballast.common.evm.artifacts import Artifact

MAX_FEE = 100 * 10**9
PRIORITY_FEE = 10**9


class ChainError(RuntimeError):
    """A transaction reverted or a JSON-RPC call answered with an error."""


def connect(rpc_url: str) -> Web3:
    return Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))


def rpc(w3: Web3, method: str, *params: Any) -> Any:
    """Any JSON-RPC method, anvil_* and evm_* included; raises ChainError on an error reply."""
    reply = cast(dict[str, Any], w3.provider.make_request(RPCEndpoint(method), list(params)))
    if reply.get("error"):
        raise ChainError(f"{method}: {reply['error']}")
    return reply.get("result")


def create_address(sender: str, nonce: int) -> str:
    """The address CREATE gives a contract deployed by `sender` at `nonce`."""
    encoded = cast(bytes, rlp.encode([bytes.fromhex(sender[2:]), nonce]))  # pyright: ignore[reportUnknownMemberType]
    return to_checksum_address(keccak(encoded)[12:])


def contract(w3: Web3, artifact: Artifact, address: str) -> Contract:
    return w3.eth.contract(address=to_checksum_address(address), abi=artifact.abi)


class Pipe:
    """The last transaction sent by any of the Senders sharing it.

    anvil's eth_sendRawTransaction answers before the automined block exists, so a gas estimate
    or a read that depends on an earlier send waits for that send's receipt first (`wait`).
    """

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self.last: HexBytes | None = None

    def wait(self) -> None:
        if self.last is not None:
            self.w3.eth.wait_for_transaction_receipt(self.last, timeout=30, poll_latency=0.002)
            self.last = None


class Sender:
    """Signs and sends from one key with locally counted nonces; see the module docstring."""

    def __init__(self, w3: Web3, private_key: str, pipe: Pipe | None = None) -> None:
        self.w3 = w3
        self.pipe = pipe or Pipe(w3)
        self.account = Account.from_key(private_key)
        self.address = to_checksum_address(self.account.address)
        self.chain_id = w3.eth.chain_id
        self.nonce = w3.eth.get_transaction_count(self.address, "pending")
        self.pending: list[tuple[HexBytes, str]] = []

    def send(
        self,
        to: str | None,
        data: str | bytes,
        *,
        value: int = 0,
        gas: int | None = None,
        label: str = "",
    ) -> HexBytes:
        """Sign and send; `gas=None` estimates it against the latest state (automine)."""
        tx: dict[str, Any] = {
            "chainId": self.chain_id,
            "nonce": self.nonce,
            "data": HexBytes(data),
            "value": value,
            "maxFeePerGas": MAX_FEE,
            "maxPriorityFeePerGas": PRIORITY_FEE,
            "type": 2,
        }
        if to is not None:
            tx["to"] = to_checksum_address(to)
        if gas is None:
            self.pipe.wait()
            probe: dict[str, Any] = {k: tx[k] for k in ("data", "value") if k in tx}
            probe["from"] = self.address
            if to is not None:
                probe["to"] = tx["to"]
            try:
                gas = int(self.w3.eth.estimate_gas(cast(TxParams, probe)) * 1.2) + 20_000
            except Exception as exc:
                raise ChainError(f"{label or 'transaction'} would revert: {exc}") from exc
        tx["gas"] = gas
        signed = self.account.sign_transaction(tx)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        self.nonce += 1
        self.pipe.last = HexBytes(tx_hash)
        self.pending.append((HexBytes(tx_hash), label))
        return HexBytes(tx_hash)

    def call(
        self,
        target: Contract,
        fn: str,
        *args: Any,
        value: int = 0,
        gas: int | None = None,
    ) -> HexBytes:
        """Send `target.fn(*args)`."""
        data = target.encode_abi(fn, args=list(args))
        label = f"{fn}() on {target.address}"
        return self.send(target.address, data, value=value, gas=gas, label=label)

    def deploy(self, artifact: Artifact, *args: Any) -> str:
        """Send the creation transaction; returns the address the contract gets."""
        address = create_address(self.address, self.nonce)
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        data = factory.constructor(*args).data_in_transaction
        self.send(None, data, label=f"deploy {artifact.name}")
        return address

    def settle(self, *, strict: bool = True) -> list[dict[str, Any]]:
        """Receipts of everything sent since the last settle; ChainError on any revert (unless
        not `strict`: a test that expects one reads the receipt's status)."""
        receipts: list[dict[str, Any]] = []
        failed: list[str] = []
        for tx_hash, label in self.pending:
            receipt = dict(self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30))
            receipts.append(receipt)
            if receipt.get("status") != 1:
                failed.append(f"{label} ({tx_hash.to_0x_hex()})")
        self.pending.clear()
        if failed and strict:
            raise ChainError("reverted: " + "; ".join(failed))
        return receipts


def code_hash(w3: Web3, address: str) -> bytes:
    """keccak of the runtime code at `address` (keccak of b'' when there is none)."""
    return keccak(bytes(w3.eth.get_code(to_checksum_address(address))))


def code_check(w3: Web3, addresses: Sequence[str]) -> str:
    """One hash over (address, code hash) of every address, in the order given."""
    acc = b"".join(bytes.fromhex(a[2:]) + code_hash(w3, a) for a in addresses)
    return "0x" + keccak(acc).hex()


@contextmanager
def one_block(sender: Sender) -> Iterator[None]:
    """The sends inside are mined together, in one block, when the block ends: no reader sees
    half of them. Give each explicit gas (nothing is mined to estimate against until then)."""
    sender.pipe.wait()
    rpc(sender.w3, "evm_setAutomine", False)
    try:
        yield
    finally:
        rpc(sender.w3, "evm_mine")
        rpc(sender.w3, "evm_setAutomine", True)
