"""Deploy and drive the StakeBasket ETF suite on anvil, for the contract tests.

Loads the committed artifacts in contracts/artifacts/ (no compiler at test time), deploys the
stand-ins, oracles and the suite, wires roles, and offers the few actions the tests repeat. The
fixtures that use it live in conftest.py. Amounts are integers in base units throughout (CORE wei,
coreBTC satoshis, 18-decimal USD). The share formulas are mirrored here so tests assert exact
figures.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError
from web3.logs import DISCARD
from web3.types import TxReceipt

if TYPE_CHECKING:  # the `anvil` fixture of ballast.testing: only its interface is used
    from ballast.testing.chain import Anvil


ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

E18 = 10**18
E8 = 10**8
VIRTUAL = 10**9  # StakeBasket.VIRTUAL_SHARES == VIRTUAL_ASSETS
UNBONDING_PERIOD = 7 * 86_400
AGG_MAX_AGE = 3_600
PYTH_MAX_AGE = 120
CORE = b"CORE".ljust(32, b"\0")
BTC = b"BTC".ljust(32, b"\0")
CORE_PYTH_ID = bytes.fromhex("9b4503710cc8c53f75c30e6e4fda1a7064680ef2e0ee97acd2e3a7c37b3c830c")
BTC_PYTH_ID = bytes.fromhex("e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43")
STAKE_HUB = "0x0000000000000000000000000000000000001010"
CORE_AGENT = "0x0000000000000000000000000000000000001011"
"""Core's system addresses (REFERENCE.md): the stand-ins are installed there, as on the devnet."""
ASSET_CORE = 0
ASSET_CORE_BTC = 1
INITIAL_CORE_PRICE = 1 * E8  # aggregators answer with 8 decimals, like Chainlink USD feeds
INITIAL_BTC_PRICE = 60_000 * E8
VALIDATOR_WEIGHTS = (5_000, 3_000, 2_000)


def load_artifact(name: str) -> dict[str, Any]:
    return json.loads((ARTIFACTS / f"{name}.json").read_text())


def event_logs(receipt: Any, address: str, event_signature: str) -> list[Any]:
    """The receipt's logs of `event_signature` (e.g. "Transfer(address,address,uint256)")
    emitted by `address`."""
    topic = keccak(text=event_signature)
    return [
        log
        for log in receipt["logs"]
        if log["address"] == address and bytes(log["topics"][0]) == topic
    ]


def error_selector(contract: Contract, name: str) -> str:
    """0x-prefixed 4-byte selector of custom error `name` from the contract's ABI."""
    for item in contract.abi:
        if item.get("type") == "error" and item.get("name") == name:
            types = ",".join(_abi_type(i) for i in item["inputs"])
            return "0x" + function_signature_to_4byte_selector(f"{name}({types})").hex()
    raise KeyError(f"no error {name} in ABI")


def _abi_type(item: dict[str, Any]) -> str:
    if item["type"].startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in item["components"]) + ")" + item["type"][5:]
    return str(item["type"])


def revert_data(exc: BaseException) -> str:
    data = getattr(exc, "data", None)
    if isinstance(data, dict):  # some providers nest it
        data = data.get("data")
    return str(data or "")


@dataclass
class Etf:
    """The deployed suite plus the few actions tests repeat."""

    anvil: Anvil
    w3: Web3
    admin: str
    operator: str
    pauser: str
    users: list[str]
    c: dict[str, Contract] = field(default_factory=dict)
    validators: list[str] = field(default_factory=list)

    # ---------------------------------------------------------------- plumbing
    def __getattr__(self, name: str) -> Contract:
        try:
            return self.c[name]
        except KeyError:
            raise AttributeError(name) from None

    def deploy(self, name: str, *args: Any, sender: str | None = None) -> Contract:
        art = load_artifact(name)
        factory = self.w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
        tx = factory.constructor(*args).transact({"from": sender or self.admin})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1, f"deploying {name} failed"
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=art["abi"])

    def install(self, name: str, address: str) -> Contract:
        """A system stand-in's runtime code at Core's own address (as the devnet installs it)."""
        art = load_artifact(name)
        self.w3.provider.make_request("anvil_setCode", [address, art["deployedBytecode"]])  # type: ignore[arg-type]
        return self.w3.eth.contract(address=to_checksum_address(address), abi=art["abi"])

    def send(self, call: Any, sender: str, value: int = 0) -> TxReceipt:
        tx = call.transact({"from": sender, "value": value})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1
        return receipt

    def send_value(self, to: str, amount: int, sender: str | None = None) -> TxReceipt:
        tx = self.w3.eth.send_transaction({"from": sender or self.admin, "to": to, "value": amount})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1
        return receipt

    def expect_revert(self, contract: Contract, error: str, action: Callable[[], Any]) -> str:
        """Run `action`, which must revert with custom error `error` of `contract`; returns the
        revert data so a test can decode the arguments."""
        with pytest.raises((ContractCustomError, ContractLogicError)) as info:
            action()
        data = revert_data(info.value)
        assert data.startswith(error_selector(contract, error)), f"expected {error}, got {data!r}"
        return data

    def events(self, contract: Contract, name: str, receipt: TxReceipt) -> list[dict[str, Any]]:
        event = contract.events[name]()
        return [dict(e["args"]) for e in event.process_receipt(receipt, errors=DISCARD)]

    def gas_cost(self, receipt: TxReceipt) -> int:
        return int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])

    def now(self) -> int:
        return self.anvil.timestamp()

    # ---------------------------------------------------------------- market
    def set_core_price(self, price8: int) -> None:
        """Move CORE/USD on both sources (aggregator and Pyth) to `price8` (8 decimals)."""
        self.send(self.core_agg.functions.setAnswer(price8), self.admin)
        self.push_pyth(CORE_PYTH_ID, price8)

    def set_btc_price(self, price8: int) -> None:
        self.send(self.btc_agg.functions.setAnswer(price8), self.admin)
        self.push_pyth(BTC_PYTH_ID, price8)

    def push_pyth(self, price_id: bytes, price8: int, conf8: int = 0) -> None:
        """Publish a Pyth price stamped now. MockPyth ignores an update that is not newer than
        the stored one, so when the chain clock has not moved since the last update the update
        goes into a block one second later."""
        latest = self.now()
        try:
            last = int(self.pyth.functions.getPriceUnsafe(price_id).call()[3])
        except (ContractCustomError, ContractLogicError):
            last = 0
        when = max(latest, last + 1)
        if when > latest:
            self.anvil.rpc("evm_setNextBlockTimestamp", when)
        data = self.pyth.functions.createPriceFeedUpdateData(
            price_id, price8, conf8, -8, price8, conf8, when, when - 1
        ).call()
        self.send(self.pyth.functions.updatePriceFeeds([data]), self.admin)

    def refresh_prices(self) -> None:
        """Re-publish current prices with a fresh timestamp (after moving the clock)."""
        core = self.core_agg.functions.latestRoundData().call()[1]
        btc = self.btc_agg.functions.latestRoundData().call()[1]
        self.set_core_price(core)
        self.set_btc_price(btc)

    # ---------------------------------------------------------------- user flows
    def deposit_core(self, user: str, amount: int, min_shares: int = 0) -> TxReceipt:
        return self.send(self.basket.functions.deposit(min_shares), user, value=amount)

    def deposit_btc(self, user: str, amount: int, min_shares: int = 0) -> TxReceipt:
        self.send(self.core_btc.functions.mint(user, amount), user)
        self.send(self.core_btc.functions.approve(self.basket.address, amount), user)
        return self.send(self.basket.functions.depositCoreBTC(amount, min_shares), user)

    def withdraw(
        self, user: str, shares: int, asset: int = ASSET_CORE, min_out: int = 0
    ) -> TxReceipt:
        return self.send(self.basket.functions.withdraw(shares, asset, min_out), user)

    def shares(self, user: str) -> int:
        return int(self.token.functions.balanceOf(user).call())

    def supply(self) -> int:
        return int(self.token.functions.totalSupply().call())

    def aum(self) -> int:
        return int(self.basket.functions.totalAUM().call())

    def nav(self) -> int:
        return int(self.basket.functions.navPerShare().call())

    def core_balance(self, who: str) -> int:
        return int(self.w3.eth.get_balance(to_checksum_address(who)))

    def deploy_all_liquidity(self) -> None:
        core, btc, _ = self.basket.functions.availableLiquidity().call()
        self.send(self.basket.functions.deployLiquidity(core, btc), self.operator)


def expected_shares(value: int, supply: int, aum: int) -> int:
    """StakeBasket's mint formula: value × (supply + V) / (AUM + V), rounded down."""
    return value * (supply + VIRTUAL) // (aum + VIRTUAL)


def expected_value(shares: int, supply: int, aum: int) -> int:
    """StakeBasket's redeem formula: shares × (AUM + V) / (supply + V), rounded down."""
    return shares * (aum + VIRTUAL) // (supply + VIRTUAL)


def deploy_etf(anvil: Anvil) -> Etf:
    """Deploy tokens, stand-ins, oracles and the StakeBasket suite, wired and funded."""
    w3 = Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 30}))
    accounts = [to_checksum_address(a) for a in anvil.accounts]
    etf = Etf(
        anvil=anvil,
        w3=w3,
        admin=accounts[0],
        operator=accounts[1],
        pauser=accounts[2],
        users=accounts[3:],
    )
    admin = etf.admin
    c = etf.c
    c["core_btc"] = etf.deploy("MockCoreBTC")
    c["lst_btc"] = etf.deploy("MockLstBTC", c["core_btc"].address)
    c["agent"] = etf.install("MockCoreAgent", CORE_AGENT)
    c["stake_hub"] = etf.install("CoreStakeHub", STAKE_HUB)
    c["pyth"] = etf.deploy("MockPyth", 60, 0)
    c["core_agg"] = etf.deploy("TestAggregator", 8, "CORE / USD", INITIAL_CORE_PRICE)
    c["btc_agg"] = etf.deploy("TestAggregator", 8, "BTC / USD", INITIAL_BTC_PRICE)
    c["feed"] = etf.deploy("PriceFeed", admin, c["pyth"].address)
    c["token"] = etf.deploy("StakeBasketToken", "StakeBasket ETF", "BASKET")
    c["manager"] = etf.deploy(
        "StakingManager", admin, c["agent"].address, c["stake_hub"].address,
        c["core_btc"].address, c["lst_btc"].address,
    )
    c["queue"] = etf.deploy("UnbondingQueue", admin, UNBONDING_PERIOD)
    c["basket"] = etf.deploy(
        "StakeBasket",
        admin,
        c["token"].address,
        c["feed"].address,
        c["manager"].address,
        c["queue"].address,
        c["core_btc"].address,
    )

    for symbol, agg, pyth_id, lo, hi in (
        (CORE, c["core_agg"], CORE_PYTH_ID, E18 // 100, 1_000 * E18),
        (BTC, c["btc_agg"], BTC_PYTH_ID, 1_000 * E18, 1_000_000 * E18),
    ):
        config = (agg.address, AGG_MAX_AGE, lo, hi, pyth_id, PYTH_MAX_AGE, lo, hi, 200, 0)
        etf.send(c["feed"].functions.setFeed(symbol, config), admin)
    etf.push_pyth(CORE_PYTH_ID, INITIAL_CORE_PRICE)
    etf.push_pyth(BTC_PYTH_ID, INITIAL_BTC_PRICE)

    basket = c["basket"].address
    etf.send(c["token"].functions.bindBasket(basket), admin)
    etf.send(c["manager"].functions.setBasket(basket), admin)
    basket_role = c["queue"].functions.BASKET_ROLE().call()
    etf.send(c["queue"].functions.grantRole(basket_role, basket), admin)
    operator_role = c["basket"].functions.OPERATOR_ROLE().call()
    pauser_role = c["basket"].functions.PAUSER_ROLE().call()
    etf.send(c["basket"].functions.grantRole(operator_role, etf.operator), admin)
    etf.send(c["basket"].functions.grantRole(pauser_role, etf.pauser), admin)
    etf.send(c["manager"].functions.grantRole(operator_role, etf.operator), admin)

    etf.validators = [to_checksum_address(f"0x{0xA11CE0 + i:040x}") for i in range(3)]
    etf.send(
        c["manager"].functions.setValidatorTargets(etf.validators, list(VALIDATOR_WEIGHTS)), admin
    )
    # The reward pool of the stand-in CoreAgent: rewards are paid in native CORE from here.
    etf.send_value(c["agent"].address, 1_000 * E18)
    return etf
