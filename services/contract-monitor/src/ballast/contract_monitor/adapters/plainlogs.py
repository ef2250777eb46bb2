"""Decoders of the events whose every argument is one plain ABI word (uint, int, address, bool:
nearly every event the suite emits), written once per event as straight-line Python.

A backfill decodes thousands of logs per range, and the generic decoder's loops over argument
readers were its largest item (docs/perf/contract-monitor.md). Here each such event gets a
function that slices its words and builds the DecodedLog with its args JSON in one go, compiled
at start from a fixed table of expressions: the source holds only indices and the names below,
never text from the ABI (argument names, the event name and the JSON template are constants
passed in). A log that does not fit the layout (another number of topics) gets None, and the
generic decoder (abi.LogDecoder) takes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from json.encoder import encode_basestring
from typing import Any

from ballast.contract_monitor.domain.model import DecodedLog

PLAIN = ("uint", "int", "address", "bool")
"""Word types whose decoded text is digits, `0x` and hex, or true/false: nothing to escape."""

_EXPRESSIONS = {
    "uint": "str(int({w}, 16))",
    "int": "_signed({w})",
    "address": '_checksum("0x" + {w}[24:])',
    "bool": '("true" if int({w}, 16) else "false")',
}

PlainDecoder = Callable[[dict[str, Any]], DecodedLog | None]


def plain(kind: str) -> bool:
    return kind.startswith(PLAIN) and not kind.endswith("]")


def _signed(word: str) -> str:
    value = int(word, 16)
    return str(value - (1 << 256) if value >> 255 else value)


def compile_plain(name: str, indexed: Sequence[tuple[str, str]], data: Sequence[tuple[str, str]],
                  checksum: Callable[[str], str]) -> PlainDecoder | None:
    """The decoder of one event's logs, or None when an argument is not a plain word."""
    args = [*indexed, *data]
    if not all(plain(t) for _, t in args):
        return None
    words = [f"topics[{i + 1}][2:]" for i in range(len(indexed))] + [
        f"data[{2 + 64 * i}:{66 + 64 * i}]" for i in range(len(data))]
    values = [_EXPRESSIONS[next(p for p in ("uint", "int", "address", "bool") if t.startswith(p))]
              .format(w=w) for (_, t), w in zip(args, words, strict=True)]
    every = "".join(f"v{i}, " for i in range(len(args)))
    source = "\n".join([
        "def decode(entry):",
        '    topics = entry["topics"]',
        f"    if len(topics) != {len(indexed) + 1}:",
        "        return None",
        '    data = entry["data"]',
        *(f"    v{i} = {value}" for i, value in enumerate(values)),
        '    return _Log(_checksum(entry["address"]), _name, {'
        + "".join(f"_n{i}: v{i}, " for i in range(len(args))) + '}, int(entry["blockNumber"], 16),'
        ' entry["blockHash"], entry["transactionHash"], int(entry["logIndex"], 16),'
        f" _template % ({every}))",
    ])
    template = "{" + ",".join(
        encode_basestring(n).replace("%", "%%") + ':"%s"' for n, _ in args) + "}"
    scope: dict[str, Any] = {
        "_Log": DecodedLog, "_checksum": checksum, "_signed": _signed, "_name": name,
        "_template": template,
        **{f"_n{i}": n for i, (n, _) in enumerate(args)}}
    exec(compile(source, f"<decoder of {name}>", "exec"), scope)  # noqa: S102 - see the docstring
    return scope["decode"]
