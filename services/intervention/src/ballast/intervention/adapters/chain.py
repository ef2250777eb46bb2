"""The chain, through web3.py: quotes, EIP-1559 transactions, broadcast, receipts.

Reads go to `rpc_url`. Broadcasts go to `private_rpc_url` when one is configured (a private
submission endpoint keeps the swap out of the public mempool: PSTR seed "MEV Protection: Private
mempool usage"), else to the read RPC. Uniswap V2 router calls follow REFERENCE.md: quote with
`getAmountsOut`, swap with `swapExactTokensForTokens(amountIn, amountOutMin, path, to, deadline)`,
which reverts with INSUFFICIENT_OUTPUT_AMOUNT or EXPIRED.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import AsyncWeb3
from web3.exceptions import TransactionNotFound

from ballast.common.evm.abi import function
from ballast.common.evm.provider import connect
from ballast.intervention.domain.execution import Receipt, SendOutcome, classify_send_error

ROUTER_ABI: list[dict[str, Any]] = [
    function("getAmountsOut", "uint256 amountIn, address[] path", "uint256[] amounts"),
    function("swapExactTokensForTokens",
             "uint256 amountIn, uint256 amountOutMin, address[] path, address to, uint256 deadline",
             "uint256[] amounts", mutable=True),
]
ERC20_ABI: list[dict[str, Any]] = [
    function("approve", "address spender, uint256 amount", "bool", mutable=True),
    function("allowance", "address owner, address spender", "uint256"),
    function("balanceOf", "address owner", "uint256"),
    function("decimals", "", "uint8"),
]
BASKET_ABI: list[dict[str, Any]] = [
    function(n, mutable=True) for n in ("rebalance", "compound")
]
TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
MAX_UINT = 2**256 - 1


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    message: str


@dataclass(frozen=True)
class TokenFlows:
    """What the account sent and received in one transaction, from ERC-20 Transfer logs."""

    amount_in: int
    amount_out: int


def _hex(value: Any) -> str:
    text = value.hex() if isinstance(value, bytes | bytearray) else str(value)
    return text if text.startswith("0x") else "0x" + text


def _web3(url: str, timeout: float) -> AsyncWeb3:
    """An AsyncWeb3 without the middlewares that cost a round trip per call and add nothing
    here: `validation` asks eth_chainId before every call (we set chainId ourselves and sign
    locally), ENS resolution (we pass checksummed addresses), and the gas-price strategy and
    gas-estimate buffering (we set EIP-1559 fees and the gas limit ourselves)."""
    w3 = connect(url, timeout)
    for name in ("validation", "ens_name_to_address", "gas_price_strategy", "gas_estimate"):
        w3.middleware_onion.remove(name)
    return w3


class Chain:
    """One per process. Holds no key: signing is the signer's job."""

    def __init__(self, rpc_url: str, private_rpc_url: str | None = None, timeout: float = 10.0):
        self.w3 = _web3(rpc_url, timeout)
        self.sender = _web3(private_rpc_url, timeout) if private_rpc_url else self.w3
        self._chain_id: int | None = None

    async def close(self) -> None:
        for w3 in {id(self.w3): self.w3, id(self.sender): self.sender}.values():
            provider = cast(Any, w3.provider)
            disconnect = getattr(provider, "disconnect", None)
            if disconnect is not None:
                await disconnect()

    # ------------------------------------------------------------------ reads
    async def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(await self.w3.eth.chain_id)
        return self._chain_id

    async def head(self) -> int:
        return int(await self.w3.eth.block_number)

    async def latest_block(self) -> tuple[int, int, int]:
        """(number, timestamp, base fee per gas)."""
        block = cast(dict[str, Any], await self.w3.eth.get_block("latest"))
        return int(block["number"]), int(block["timestamp"]), int(block.get("baseFeePerGas", 0))

    async def priority_fee(self) -> int:
        try:
            return int(await self.w3.eth.max_priority_fee)
        except Exception:  # noqa: BLE001 - nodes without eth_maxPriorityFeePerGas
            return 10**9

    async def nonce(self, account: str, block: str) -> int:
        """`block` is "pending" (next free) or "latest" (count mined)."""
        return int(
            await self.w3.eth.get_transaction_count(to_checksum_address(account), block)  # type: ignore[arg-type]
        )

    async def quote(self, router: str, amount_in: int, path: list[str]) -> int:
        contract = self.w3.eth.contract(address=to_checksum_address(router), abi=ROUTER_ABI)
        amounts = await contract.functions.getAmountsOut(
            amount_in, [to_checksum_address(p) for p in path]
        ).call()
        return int(amounts[-1])

    async def allowance(self, token: str, owner: str, spender: str) -> int:
        contract = self.w3.eth.contract(address=to_checksum_address(token), abi=ERC20_ABI)
        value = await contract.functions.allowance(
            to_checksum_address(owner), to_checksum_address(spender)
        ).call()
        return int(value)

    async def balance_of(self, token: str, owner: str) -> int:
        contract = self.w3.eth.contract(address=to_checksum_address(token), abi=ERC20_ABI)
        return int(await contract.functions.balanceOf(to_checksum_address(owner)).call())

    async def decimals(self, token: str) -> int:
        contract = self.w3.eth.contract(address=to_checksum_address(token), abi=ERC20_ABI)
        return int(await contract.functions.decimals().call())

    # ------------------------------------------------------------------ calldata
    def swap_calldata(
        self, router: str, amount_in: int, min_out: int, path: list[str], to: str, deadline: int
    ) -> bytes:
        contract = self.w3.eth.contract(address=to_checksum_address(router), abi=ROUTER_ABI)
        data = contract.encode_abi(
            "swapExactTokensForTokens",
            [amount_in, min_out, [to_checksum_address(p) for p in path], to_checksum_address(to),
             deadline],
        )
        return bytes(HexBytes(data))

    def approve_calldata(self, token: str, spender: str, amount: int = MAX_UINT) -> bytes:
        contract = self.w3.eth.contract(address=to_checksum_address(token), abi=ERC20_ABI)
        data = contract.encode_abi("approve", [to_checksum_address(spender), amount])
        return bytes(HexBytes(data))

    def basket_calldata(self, basket: str, function: str) -> bytes:
        contract = self.w3.eth.contract(address=to_checksum_address(basket), abi=BASKET_ABI)
        return bytes(HexBytes(contract.encode_abi(function, [])))

    async def estimate_gas(self, sender: str, to: str, data: bytes) -> int:
        """Raises (with the revert reason) when the call would revert now."""
        tx: Any = {"from": to_checksum_address(sender), "to": to_checksum_address(to), "data": data}
        return int(await self.w3.eth.estimate_gas(tx))

    # ------------------------------------------------------------------ writes
    async def send_raw(self, raw: bytes) -> SendResult:
        try:
            await self.sender.eth.send_raw_transaction(raw)
        except Exception as err:  # noqa: BLE001 - every node error is classified, none escapes
            message = str(err)
            return SendResult(classify_send_error(message), message[:500])
        return SendResult(SendOutcome.ACCEPTED, "")

    # ------------------------------------------------------------------ receipts
    async def receipt(self, tx_hash: str) -> Receipt | None:
        try:
            r = await self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
        except TransactionNotFound:
            return None
        if r is None or r.get("blockNumber") is None:
            return None
        return Receipt(
            tx_hash=_hex(r["transactionHash"]),
            block_number=int(r["blockNumber"]),
            status=int(r["status"]),
            gas_used=int(r["gasUsed"]),
            effective_gas_price=int(r.get("effectiveGasPrice", 0)),
        )

    async def transfers(self, tx_hash: str, account: str) -> dict[str, tuple[int, int]]:
        """Token (lower-case address) -> (sent by, received by) `account` in one transaction, from
        its ERC-20 Transfer logs."""
        r = await self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
        acct = account.lower()
        moved: dict[str, tuple[int, int]] = {}
        for log in r["logs"]:
            topics = [_hex(t) for t in log["topics"]]
            if len(topics) != 3 or topics[0] != TRANSFER_TOPIC:
                continue
            sender, receiver = "0x" + topics[1][-40:], "0x" + topics[2][-40:]
            value = int.from_bytes(bytes(log["data"]), "big")
            token = str(log["address"]).lower()
            sent, received = moved.get(token, (0, 0))
            moved[token] = (sent + (value if sender == acct else 0),
                            received + (value if receiver == acct else 0))
        return moved

    async def token_flows(
        self, tx_hash: str, account: str, token_in: str, token_out: str
    ) -> TokenFlows:
        moved = await self.transfers(tx_hash, account)
        return TokenFlows(moved.get(token_in.lower(), (0, 0))[0],
                          moved.get(token_out.lower(), (0, 0))[1])

    async def revert_reason(self, tx_hash: str, gas_used: int | None = None) -> str:
        """Replay a reverted transaction at its parent block to read the reason."""
        tx = cast(dict[str, Any], await self.w3.eth.get_transaction(HexBytes(tx_hash)))
        if gas_used is not None and gas_used >= int(tx["gas"]):
            return f"out of gas (used all {gas_used})"
        call: Any = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"]}
        try:
            await self.w3.eth.call(call, int(tx["blockNumber"]) - 1)
        except Exception as err:  # noqa: BLE001 - the error text is the reason we want
            first = err.args[0] if err.args else None
            return (first if isinstance(first, str) else str(err))[:500]
        return "reverted (no reason returned on replay)"
