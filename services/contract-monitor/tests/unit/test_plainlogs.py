"""The straight-line decoders give what the generic decoder gives, for every plain event."""

from __future__ import annotations

import random

from ballast.contract_monitor.adapters.abi import LogDecoder, checksum
from ballast.contract_monitor.adapters.plainlogs import compile_plain
from ballast.contract_monitor.app import ETF_CONTRACTS, GOVERNANCE_CONTRACTS


def _word(rng: random.Random, kind: str) -> str:
    if kind == "address":
        return "0" * 24 + f"{rng.getrandbits(160):040x}"
    if kind == "bool":
        return f"{rng.getrandbits(1):064x}"
    return f"{rng.getrandbits(rng.choice((8, 64, 256))):064x}"  # ints: sign bit set at times


def _entry(topic0: str, topics: list[str], data: list[str], index: int) -> dict[str, object]:
    return {"address": "0x" + "ab" * 20, "topics": [topic0, *("0x" + t for t in topics)],
            "data": "0x" + "".join(data), "blockNumber": hex(9 + index),
            "blockHash": "0x" + "01" * 32, "transactionHash": "0x" + "02" * 32,
            "logIndex": hex(index)}


def test_plain_decoders__every_plain_suite_event__same_log_as_the_generic_decoder() -> None:
    decoder = LogDecoder(ETF_CONTRACTS + GOVERNANCE_CONTRACTS)
    rng = random.Random(7)
    raw = [_entry(topic0, [_word(rng, t) for _, t in event.indexed],
                  [_word(rng, t) for _, t in event.data], i)
           for i, (topic0, event) in enumerate(decoder.events.items()) if topic0 in decoder.plain
           for _ in range(20)]
    assert len(decoder.plain) >= 20  # the suite's events are nearly all plain
    assert decoder.decode(raw) == [decoder.decode_one(e) for e in raw]


def test_compile_plain__signed_bool_and_odd_names__generic_values_and_json() -> None:
    fast = compile_plain('odd"%s', [("who", "address")], [("delta", "int256"), ("on", "bool"),
                                                          ('q"%d', "uint8")], checksum)
    assert fast is not None
    entry = _entry("0x00", ["0" * 24 + "12" * 20],
                   ["f" * 64, f"{1:064x}", f"{255:064x}"], 3)
    log = fast(entry)
    assert log is not None and log.event_name == 'odd"%s'
    assert log.args == {"who": "0x1212121212121212121212121212121212121212", "delta": "-1",
                        "on": "true", 'q"%d': "255"}
    assert log.args_json == ('{"who":"0x1212121212121212121212121212121212121212",'
                             '"delta":"-1","on":"true","q\\"%d":"255"}')
    assert fast({**entry, "topics": ["0x00"]}) is None  # not this layout: the generic path's
    assert compile_plain("x", [], [("tag", "bytes32")], checksum) is None
