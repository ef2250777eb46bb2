"""Fork point search, event kinds, the topic0 log decoder and settings from deployment.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from ballast.common.messages import EtfEventKind
from ballast.contract_monitor.adapters.abi import LogDecoder, args_json
from ballast.contract_monitor.domain.events import etf_kind
from ballast.contract_monitor.domain.reorg import fork_point
from ballast.contract_monitor.settings import ContractMonitorSettings

USER = "0x" + "12" * 20


def test_fork_point__newest_two_blocks_replaced__highest_unchanged_block() -> None:
    stored = [(10, "a"), (12, "b"), (15, "c"), (16, "d")]
    chain = {10: "a", 12: "b", 15: "x", 16: None}
    assert fork_point(stored, chain) == 12


def test_fork_point__nothing_matches__none() -> None:
    assert fork_point([(5, "a")], {5: "b"}) is None


def test_etf_kind__suite_events__their_subject_token() -> None:
    assert etf_kind("Deposited") == EtfEventKind.DEPOSIT
    assert etf_kind("RequestQueued") == etf_kind("WithdrawalQueued") == EtfEventKind.QUEUED
    assert etf_kind("CoreDelegated") == EtfEventKind.DELEGATED
    assert etf_kind("BtcStaked") == EtfEventKind.OTHER


def _log(signature: str, topics: list[bytes], data: bytes) -> dict[str, object]:
    return {
        "address": "0x" + "ab" * 20, "topics": ["0x" + keccak(text=signature).hex()]
        + ["0x" + t.hex() for t in topics], "data": "0x" + data.hex(),
        "blockNumber": "0x10", "blockHash": "0x" + "01" * 32,
        "transactionHash": "0x" + "02" * 32, "logIndex": "0x3",
    }


def test_log_decoder__static_event__words_sliced_and_indexed_topic_decoded() -> None:
    decoder = LogDecoder(["StakeBasket"])
    data = encode(["uint8", "uint256", "uint256", "uint256", "uint256"], [1, 5, 7, 9, 11])
    raw = _log("Deposited(address,uint8,uint256,uint256,uint256,uint256)",
               [bytes(12) + bytes.fromhex(USER[2:])], data)
    [d] = decoder.decode([raw])
    assert d.event_name == "Deposited" and d.log_index == 3 and d.block_number == 16
    assert d.args == {"user": "0x1212121212121212121212121212121212121212", "asset": "1",
                      "amount": "5", "valueUsd": "7", "shares": "9", "navPerShare": "11"}


def test_log_decoder__dynamic_event__arrays_as_json_strings() -> None:
    decoder = LogDecoder(["StakingManager"])
    data = encode(["address[]", "uint256[]", "uint256[]"], [[USER], [1], [2]])
    [d] = decoder.decode([_log("Rebalanced(address[],uint256[],uint256[])", [], data)])
    assert json.loads(d.args["stakedBefore"]) == ["1"]
    assert json.loads(d.args["validators"])[0].lower() == USER


def test_log_decoder__unknown_topic__kept_raw() -> None:
    [d] = LogDecoder(["StakeBasket"]).decode([_log("Nope()", [], b"")])
    assert d.event_name == "unknown" and d.args["data"] == "0x"


def test_settings__deployment_file__addresses_read_and_env_wins(tmp_path: Path) -> None:
    path = tmp_path / "deployment.json"
    etf = {k: "0x" + f"{i:040x}" for i, k in enumerate(
        ["stake_basket", "token", "staking_manager", "unbonding_queue", "price_feed", "corebtc"])}
    path.write_text(json.dumps({"etf": etf, "governance": {
        "governor": "0x" + "aa" * 20, "timelock": "0x" + "bb" * 20, "token": "0x" + "cc" * 20},
        "multicall3": "0xcA11bde05977b3631167028862bE2a173976CA11"}))
    s = ContractMonitorSettings(database_url="postgresql://x", rpc_url="http://127.0.0.1:8545",
                                deployment_file=path, price_feed="0x" + "dd" * 20)
    assert s.stake_basket == etf["stake_basket"] and s.basket_token == etf["token"]
    assert s.governor == "0x" + "aa" * 20 and s.price_feed == "0x" + "dd" * 20


def test_settings__no_addresses__refused() -> None:
    with pytest.raises(ValueError, match="stake_basket"):
        ContractMonitorSettings(database_url="postgresql://x", rpc_url="http://127.0.0.1:8545")


@pytest.mark.parametrize("args", [
    {},
    {"user": USER, "amount": "1000000000000000000"},
    {"description": 'quote " backslash \\ newline \n tab \t bell \x07', "id": "7"},
    {"text": "unicode é ✓ \u2028 🙂", "topics": json.dumps(["0x01", "0x02"])},
])
def test_args_json__any_arguments__json_of_the_same_object(args: dict[str, str]) -> None:
    assert json.loads(args_json(args)) == args
