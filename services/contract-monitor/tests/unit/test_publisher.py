"""The ETF events' bus payloads written field by field are the model's bytes, and the decoder's
args JSON and the classifier's kinds are what the slow paths give."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak
from pydantic import ValidationError

from ballast.common.messages import EtfEvent
from ballast.common.subjects import etf_event
from ballast.contract_monitor.adapters import publisher
from ballast.contract_monitor.adapters.abi import LogDecoder
from ballast.contract_monitor.adapters.publisher import etf_message, etf_payloads, event_msg_id
from ballast.contract_monitor.domain.events import Classifier, classify
from ballast.contract_monitor.domain.model import DecodedLog, StoredLog

BASKET, MANAGER = "0x" + "ab" * 20, "0x" + "cd" * 20
USER = "0x" + "12" * 20
SOURCES = {BASKET: "etf", MANAGER: "etf", "0x" + "ef" * 20: "governance"}


def _raw(signature: str, topics: list[bytes], data: bytes, address: str = BASKET,
         index: int = 3) -> dict[str, object]:
    return {
        "address": address, "topics": ["0x" + keccak(text=signature).hex()]
        + ["0x" + t.hex() for t in topics], "data": "0x" + data.hex(),
        "blockNumber": "0x10", "blockHash": "0x" + "01" * 32,
        "transactionHash": "0x" + "02" * 32, "logIndex": hex(index),
    }


def decoded() -> list[DecodedLog]:
    decoder = LogDecoder(["StakeBasket", "StakingManager"])
    return decoder.decode([
        _raw("Deposited(address,uint8,uint256,uint256,uint256,uint256)",
             [bytes(12) + bytes.fromhex(USER[2:])],
             encode(["uint8", "uint256", "uint256", "uint256", "uint256"], [1, 5, 7, 9, 11])),
        _raw("CoreDelegated(address,uint256)", [bytes(12) + bytes.fromhex(USER[2:])],
             encode(["uint256"], [2 * 10**17]), MANAGER, 4),
        _raw("Rebalanced(address[],uint256[],uint256[])", [],
             encode(["address[]", "uint256[]", "uint256[]"], [[USER], [1], [2]]), MANAGER, 5),
        _raw("Nothing()", [], b"", BASKET, 6),
    ])


def from_the_record() -> list[DecodedLog]:
    """Logs as the repository reads them back: args from jsonb, no args JSON kept."""
    strings = {"description": 'quote " backslash \\ newline \n tab \t bell \x07 del \x7f',
               "text": "unicode é ✓ \u2028 🙂", "%s": "%d"}
    return [DecodedLog(BASKET, name, strings, 7, block_hash, "0x" + "0a" * 32, 0)
            for name, block_hash in (("Deposited", "0x" + "03" * 32), ('We"ird\n', "h\\1"))]


@pytest.mark.parametrize(("removed", "epoch", "observed_at"), [
    (False, 0, datetime(2026, 12, 5, 20, 0, tzinfo=UTC)),
    (True, 2, datetime(2026, 12, 5, 22, 0, 0, 1, tzinfo=timezone(timedelta(hours=2)))),
])
def test_etf_payloads__decoded_and_stored_logs__the_models_bytes_subject_and_id(
    removed: bool, epoch: int, observed_at: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = [classify(d, SOURCES) for d in decoded() + from_the_record()]
    expected = [
        (etf_message(s, removed, observed_at).model_dump_json().encode(), etf_event(s.kind),
         event_msg_id(s, removed, epoch)) for s in logs]
    monkeypatch.setattr(publisher, "etf_message", None)  # none of them through the model
    payloads = etf_payloads(logs, removed, observed_at, epoch)
    assert payloads == expected
    for (data, _, _), s in zip(payloads, logs, strict=True):
        assert EtfEvent.model_validate_json(data) == etf_message(s, removed, observed_at)


def test_etf_payloads__field_the_model_refuses__refused_as_before() -> None:
    [log] = from_the_record()[:1]
    bad = StoredLog(DecodedLog(log.address, log.event_name, log.args, 7, log.block_hash,
                               "0x1234", 0), "etf", "deposit")
    with pytest.raises(ValidationError, match="tx_hash"):
        etf_payloads([bad], False, datetime(2026, 12, 5, tzinfo=UTC), 0)


def test_log_decoder__args_json__the_json_of_the_args() -> None:
    logs = decoded()
    assert [json.loads(d.args_json) for d in logs] == [d.args for d in logs]
    assert logs[0].args_json == (
        '{"user":"0x1212121212121212121212121212121212121212","asset":"1","amount":"5",'
        '"valueUsd":"7","shares":"9","navPerShare":"11"}')


def test_classifier__many_logs__what_classify_says_for_each() -> None:
    logs = decoded() + from_the_record() + [
        DecodedLog("0x" + "ef" * 20, "ProposalCreated", {}, 1, "h", "t", 0),
        DecodedLog("0x" + "EF" * 20, "Anything", {}, 1, "h", "t", 1)]
    classifier = Classifier(SOURCES)
    assert classifier(logs) == classifier(logs) == [classify(d, SOURCES) for d in logs]
