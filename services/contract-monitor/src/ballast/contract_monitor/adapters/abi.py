"""ABI plumbing without web3 contract objects: function encode/decode and a topic0 log decoder.

`LogDecoder` maps topic0 (keccak of the event signature, precomputed once) to the event's ABI.
Events whose non-indexed arguments are all one-word static types (uint, int, address, bool,
bytesN, enums: nearly every event the suite emits) are decoded by slicing 32-byte words; only
events with dynamic data (arrays, strings) go through eth_abi. That is what keeps a backfill near
the raw eth_getLogs rate (the benchmark goal of issue #8).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from ballast.contract_monitor.domain.model import DecodedLog

ABI_DIR = Path(__file__).parent / "abi"


@cache
def load(name: str) -> list[dict[str, Any]]:
    """The ABI of a contract from adapters/abi/<name>.json (copied from contracts/artifacts)."""
    return json.loads((ABI_DIR / f"{name}.json").read_text())


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


def _word(kind: str, word: bytes) -> str:
    if kind.startswith("uint"):
        return str(int.from_bytes(word, "big"))
    if kind.startswith("int"):
        return str(int.from_bytes(word, "big", signed=True))
    if kind == "address":
        return checksum("0x" + word[12:].hex())
    if kind == "bool":
        return "true" if word[-1] else "false"
    size = int(kind[5:])  # bytesN: left-aligned
    return "0x" + word[:size].hex()


@dataclass(frozen=True)
class _Event:
    name: str
    indexed: tuple[tuple[str, str], ...]  # (name, type) in topic order
    data: tuple[tuple[str, str], ...]  # (name, type) in data order
    static: bool  # every data argument is one word


class LogDecoder:
    """topic0 -> event ABI over the given contracts; `decode` turns raw eth_getLogs entries into
    DecodedLog. An unknown topic0 still yields a log (event name `unknown`, raw data kept)."""

    def __init__(self, contracts: Iterable[str]) -> None:
        self.events: dict[str, _Event] = {}
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
                self.events[topic0] = _Event(
                    entry["name"], indexed, data, all(_one_word(t) for _, t in data)
                )

    def decode(self, raw: Sequence[dict[str, Any]]) -> list[DecodedLog]:
        return [self.decode_one(entry) for entry in raw]

    def decode_one(self, entry: dict[str, Any]) -> DecodedLog:
        topics: list[str] = entry["topics"]
        event = self.events.get(topics[0]) if topics else None
        data = bytes.fromhex(entry["data"][2:])
        args: dict[str, str]
        if event is None:
            name = "unknown"
            args = {"topics": json.dumps(topics), "data": entry["data"]}
        else:
            name = event.name
            args = {}
            for (arg, kind), topic in zip(event.indexed, topics[1:], strict=False):
                args[arg] = _word(kind, bytes.fromhex(topic[2:])) if _one_word(kind) else topic
            if event.static:
                for i, (arg, kind) in enumerate(event.data):
                    args[arg] = _word(kind, data[32 * i : 32 * i + 32])
            elif event.data:
                values = decode([t for _, t in event.data], data)
                for (arg, _), value in zip(event.data, values, strict=True):
                    args[arg] = to_text(value)
        return DecodedLog(
            address=checksum(entry["address"]),
            event_name=name,
            args=args,
            block_number=int(entry["blockNumber"], 16),
            block_hash=entry["blockHash"],
            tx_hash=entry["transactionHash"],
            log_index=int(entry["logIndex"], 16),
        )
