"""StrategyParameters against a real anvil: the owner (the timelock, in production) sets a value
inside its bounds and the change is logged; anyone else, an unknown key or a value out of bounds
reverts and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from etf_suite import error_selector, event_logs, load_artifact
from eth_abi import decode
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError

from ballast.testing.devnet import reverted

pytestmark = pytest.mark.integration

WAD = 10**18
CHANGED = "ParameterChanged(bytes32,uint256,uint256)"


def key(name: str) -> bytes:
    return name.encode().ljust(32, b"\0")


TRIGGER, COOLDOWN = key("trigger_threshold"), key("cooldown_hours")


@pytest.fixture
def params(anvil: Any) -> Iterator[tuple[Web3, Contract, list[str]]]:
    """Owned by account 1; trigger_threshold 0.85 in [0.5, 0.99], cooldown_hours 48 in [0, 720]."""
    w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
    accounts = [to_checksum_address(a) for a in anvil.accounts]
    with reverted(anvil):
        art = load_artifact("StrategyParameters")
        tx = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"]).constructor(
            accounts[1], [TRIGGER, COOLDOWN], [85 * WAD // 100, 48 * WAD],
            [WAD // 2, 0], [99 * WAD // 100, 720 * WAD],
        ).transact({"from": accounts[0]})
        address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
        yield w3, w3.eth.contract(address=address, abi=art["abi"]), accounts


def _send(w3: Web3, fn: Any, sender: str) -> Any:
    receipt = w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender}))
    assert receipt["status"] == 1
    return receipt


def test_parameters__constructed__every_key_readable_in_definition_order(params: Any) -> None:
    _, p, accounts = params

    keys, values = p.functions.getAll().call()

    assert [bytes(k) for k in keys] == [TRIGGER, COOLDOWN]
    assert values == [85 * WAD // 100, 48 * WAD]
    assert p.functions.get(TRIGGER).call() == 85 * WAD // 100
    assert p.functions.bounds(TRIGGER).call() == [WAD // 2, 99 * WAD // 100]
    assert p.functions.owner().call() == accounts[1]


def test_parameters__owner_sets__value_changes_and_event_names_old_and_new(params: Any) -> None:
    w3, p, accounts = params

    receipt = _send(w3, p.functions.set(TRIGGER, 90 * WAD // 100), accounts[1])

    assert p.functions.get(TRIGGER).call() == 90 * WAD // 100
    (log,) = event_logs(receipt, p.address, CHANGED)
    assert bytes(log["topics"][1]) == TRIGGER
    assert decode(["uint256", "uint256"], bytes(log["data"])) == (85 * WAD // 100, 90 * WAD // 100)


def test_parameters__owner_sets_many__each_change_logged_in_order(params: Any) -> None:
    w3, p, accounts = params

    receipt = _send(w3, p.functions.setMany([TRIGGER, COOLDOWN], [WAD * 9 // 10, 24 * WAD]),
                    accounts[1])

    logs = event_logs(receipt, p.address, CHANGED)
    assert [bytes(x["topics"][1]) for x in logs] == [TRIGGER, COOLDOWN]
    assert p.functions.getAll().call()[1] == [WAD * 9 // 10, 24 * WAD]


@pytest.mark.parametrize("who", [0, 2])
def test_parameters__not_the_owner__reverts_and_nothing_changes(params: Any, who: int) -> None:
    _, p, accounts = params
    unauthorized = error_selector(p, "OwnableUnauthorizedAccount")

    for fn in (p.functions.set(TRIGGER, 90 * WAD // 100),
               p.functions.setMany([TRIGGER], [90 * WAD // 100]),
               p.functions.defineParameter(key("new"), 0, 1, 0)):
        with pytest.raises(ContractCustomError, match=unauthorized):
            fn.transact({"from": accounts[who]})

    assert p.functions.get(TRIGGER).call() == 85 * WAD // 100
    assert not p.functions.isDefined(key("new")).call()


@pytest.mark.parametrize("value", [WAD // 2 - 1, 99 * WAD // 100 + 1])
def test_parameters__out_of_bounds__reverts(params: Any, value: int) -> None:
    _, p, accounts = params
    out = error_selector(p, "ParameterOutOfBounds")

    with pytest.raises(ContractCustomError, match=out):
        p.functions.set(TRIGGER, value).transact({"from": accounts[1]})

    assert p.functions.get(TRIGGER).call() == 85 * WAD // 100


def test_parameters__bounds_inclusive__both_ends_accepted(params: Any) -> None:
    w3, p, accounts = params
    for value in (WAD // 2, 99 * WAD // 100):
        _send(w3, p.functions.set(TRIGGER, value), accounts[1])
        assert p.functions.get(TRIGGER).call() == value


def test_parameters__unknown_key__reverts(params: Any) -> None:
    _, p, accounts = params
    unknown = error_selector(p, "UnknownParameter")

    with pytest.raises(ContractCustomError, match=unknown):
        p.functions.set(key("no_such_key"), 1).transact({"from": accounts[1]})
    with pytest.raises(ContractCustomError, match=unknown):
        p.functions.get(key("no_such_key")).call()


def test_parameters__owner_defines_a_key__listed_with_its_value(params: Any) -> None:
    w3, p, accounts = params
    new = key("slippage_cap")

    receipt = _send(w3, p.functions.defineParameter(new, 0, WAD, 2 * WAD // 100), accounts[1])

    assert event_logs(receipt, p.address, "ParameterDefined(bytes32,uint256,uint256)")
    (log,) = event_logs(receipt, p.address, CHANGED)
    assert decode(["uint256", "uint256"], bytes(log["data"])) == (0, 2 * WAD // 100)
    keys, values = p.functions.getAll().call()
    assert [bytes(k) for k in keys] == [TRIGGER, COOLDOWN, new]
    assert values[-1] == 2 * WAD // 100
    assert keccak(text=CHANGED) == bytes(log["topics"][0])
