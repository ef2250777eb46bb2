"""ABI plumbing without web3 contract objects: function encode/decode and a topic0 log decoder.

`LogDecoder` maps topic0 (keccak of the event signature, precomputed once) to the event's ABI.
Events whose non-indexed arguments are all one-word static types (uint, int, address, bool,
bytesN, enums: nearly every event the suite emits) are decoded by slicing 32-byte words; only
events with dynamic data (arrays, strings) go through eth_abi. That is what keeps a backfill near
the raw eth_getLogs rate (the benchmark goal of issue #8).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from ballast.common.evm.artifacts import load_abi
from ballast.contract_monitor.adapters.plainlogs import PlainDecoder, compile_plain
from ballast.contract_monitor.domain.model import DecodedLog

ABI_DIR = Path(__file__).parent / "abi"


def load(name: str) -> list[dict[str, Any]]:
    """The ABI of a contract from adapters/abi/<name>.json (copied from contracts/artifacts)."""
    return load_abi(ABI_DIR, name)


def abi_type(param: dict[str, Any]) -> str:
    """The canonical type string of one ABI parameter (tuples spelled out)."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param["components"])
        return f"({inner}){kind[5:]}"
    return kind


def _signature(entry: dict[str, Any]) -> str:
    return f"{entry['name']}({','.join(abi_type(i) for i in entry['inputs'])})"


_CHECKSUM: dict[str, str] = {}


def checksum(address: str) -> str:
    """Checksummed address, cached (a monitor sees few distinct addresses, many times)."""
    found = _CHECKSUM.get(address)
    if found is None:
        if len(_CHECKSUM) > 100_000:  # many distinct depositors: start over, stay bounded
            _CHECKSUM.clear()
        found = _CHECKSUM[address] = str(to_checksum_address(address))
    return found


def to_text(value: Any) -> str:
    """An ABI value as the string EtfEvent.args carries (integers as decimal strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str):
        return checksum(value) if value.startswith("0x") and len(value) == 42 else value
    if isinstance(value, (list, tuple)):
        return json.dumps([to_text(v) for v in value])  # pyright: ignore[reportUnknownVariableType]
    return str(value)


def args_json(args: Mapping[str, str]) -> str:
    """Decoded arguments as a compact JSON object, for the jsonb column (a few times cheaper
    than `json.dumps` per log in a backfill)."""
    q = encode_basestring
    return "{" + ",".join(f"{q(k)}:{q(v)}" for k, v in args.items()) + "}"


@dataclass(frozen=True)
class Fn:
    """One contract function: selector, input and output types."""

    name: str
    selector: bytes
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    def encode(self, *args: Any) -> bytes:
        return self.selector + (encode(list(self.inputs), list(args)) if self.inputs else b"")

    def decode(self, data: bytes) -> tuple[Any, ...]:
        return tuple(decode(list(self.outputs), data))


def functions(contract: str) -> dict[str, Fn]:
    found: dict[str, Fn] = {}
    for entry in load(contract):
        if entry.get("type") != "function":
            continue
        found[entry["name"]] = Fn(
            name=entry["name"],
            selector=keccak(text=_signature(entry))[:4],
            inputs=tuple(abi_type(i) for i in entry["inputs"]),
            outputs=tuple(abi_type(o) for o in entry["outputs"]),
        )
    return found


def errors(contract: str) -> dict[bytes, str]:
    """Custom error selector -> name (to say why a price feed refused)."""
    return {
        keccak(text=_signature(e))[:4]: str(e["name"])
        for e in load(contract)
        if e.get("type") == "error"
    }


_ONE_WORD = ("uint", "int", "address", "bool", "bytes")


def _one_word(kind: str) -> bool:
    return kind.startswith(_ONE_WORD) and kind != "bytes" and not kind.endswith("]")


def _word_reader(kind: str) -> Callable[[str], str]:
    """A parser of one 64-hex-digit ABI word of `kind`, chosen once per event argument."""
    if kind.startswith("uint"):
        return lambda w: str(int(w, 16))
    if kind.startswith("int"):
        bits = 256

        def signed(w: str) -> str:
            value = int(w, 16)
            return str(value - (1 << bits) if value >> (bits - 1) else value)

        return signed
    if kind == "address":
        return lambda w: checksum("0x" + w[24:])
    if kind == "bool":
        return lambda w: "true" if int(w, 16) else "false"
    size = int(kind[5:])  # bytesN: left-aligned
    return lambda w: "0x" + w[: 2 * size]


@dataclass(frozen=True)
class _Event:
    name: str
    indexed: tuple[tuple[str, str], ...]  # (name, type) in topic order
    data: tuple[tuple[str, str], ...]  # (name, type) in data order
    static: bool  # every data argument is one word
    topic_readers: tuple[tuple[str, Callable[[str], str] | None], ...] = ()
    data_readers: tuple[tuple[str, Callable[[str], str], int], ...] = ()  # (name, parse, offset)


class LogDecoder:
    """topic0 -> event ABI over the given contracts; `decode` turns raw eth_getLogs entries into
    DecodedLog. An unknown topic0 still yields a log (event name `unknown`, raw data kept)."""

    def __init__(self, contracts: Iterable[str]) -> None:
        self.events: dict[str, _Event] = {}
        self.plain: dict[str, PlainDecoder] = {}  # plainlogs.py: most events, decoded faster
        for contract in contracts:
            for entry in load(contract):
                if entry.get("type") != "event" or entry.get("anonymous"):
                    continue
                topic0 = "0x" + keccak(text=_signature(entry)).hex()
                indexed = tuple(
                    (str(i["name"]), abi_type(i)) for i in entry["inputs"] if i.get("indexed")
                )
                data = tuple(
                    (str(i["name"]), abi_type(i)) for i in entry["inputs"] if not i.get("indexed")
                )
                static = all(_one_word(t) for _, t in data)
                self.events[topic0] = _Event(
                    entry["name"], indexed, data, static,
                    tuple((n, _word_reader(t) if _one_word(t) else None) for n, t in indexed),
                    tuple((n, _word_reader(t), 2 + 64 * i) for i, (n, t) in enumerate(data))
                    if static else (),
                )
                fast = compile_plain(entry["name"], indexed, data, checksum)
                if fast is not None:
                    self.plain[topic0] = fast

    def decode(self, raw: Sequence[dict[str, Any]]) -> list[DecodedLog]:
        plain, out = self.plain, list[DecodedLog]()
        for entry in raw:
            topics = entry["topics"]
            fast = plain.get(topics[0]) if topics else None
            found = fast(entry) if fast is not None else None
            out.append(found if found is not None else self.decode_one(entry))
        return out

    def decode_one(self, entry: dict[str, Any]) -> DecodedLog:
        """The generic path: any layout (eth_abi for dynamic data), args JSON by args_json."""
        topics: list[str] = entry["topics"]
        event = self.events.get(topics[0]) if topics else None
        args = self._args(event, topics, entry["data"])
        return DecodedLog(
            checksum(entry["address"]), "unknown" if event is None else event.name, args,
            int(entry["blockNumber"], 16), entry["blockHash"], entry["transactionHash"],
            int(entry["logIndex"], 16), args_json(args),
        )

    @staticmethod
    def _args(event: _Event | None, topics: list[str], hexdata: str) -> dict[str, str]:
        if event is None:
            return {"topics": json.dumps(topics), "data": hexdata}
        args: dict[str, str] = {}
        for (arg, read), topic in zip(event.topic_readers, topics[1:], strict=False):
            args[arg] = read(topic[2:]) if read is not None else topic
        if event.static:
            for arg, read, at in event.data_readers:
                args[arg] = read(hexdata[at : at + 64])
        elif event.data:
            values = decode([t for _, t in event.data], bytes.fromhex(hexdata[2:]))
            for (arg, _), value in zip(event.data, values, strict=True):
                args[arg] = to_text(value)
        return args
