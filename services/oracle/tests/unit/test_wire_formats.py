"""Parsing of the real wire formats without a network: Hermes payloads, SSE framing, Crossbar."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from ballast.oracle.adapters.base import SourceError, loads_exact
from ballast.oracle.adapters.crossbar import parse_simulate
from ballast.oracle.adapters.hermes import parse_update
from ballast.oracle.adapters.http import sse_data

REAL = """{"binary": {"encoding": "hex", "data": ["504e4155"]}, "parsed": [{
  "id": "e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43",
  "price": {"price": "6140993501000", "conf": "3287868567", "expo": -8,
            "publish_time": 1714746101},
  "ema_price": {"price": "6157922900000", "conf": "3207712200", "expo": -8,
                "publish_time": 1714746101},
  "metadata": {"slot": 139580924, "proof_available_time": 1714746102,
               "prev_publish_time": 1714746100}}]}"""


class Chunks:
    """Stands in for aiohttp's StreamReader: yields the body in arbitrary pieces."""

    def __init__(self, *pieces: bytes) -> None:
        self.pieces = pieces

    async def iter_any(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece


async def events(*pieces: bytes) -> list[str]:
    reader: Any = Chunks(*pieces)
    return [data async for data in sse_data(reader)]


def test_parse_update__real_hermes_payload__exact_prices_and_ema() -> None:
    (price,) = parse_update(loads_exact(REAL))
    assert price.price == Decimal("61409.93501000")
    assert price.conf == Decimal("32.87868567")
    assert price.ema_price == Decimal("61579.22900000")
    assert price.feed_id.startswith("e62df6c8")


@pytest.mark.parametrize("payload", [
    '{"parsed": [{"id": "ab", "price": {"price": 6140.5, "conf": "1", "expo": -8,'
    ' "publish_time": 1}}]}',
    '{"parsed": [{"id": "ab", "price": {"price": "1", "conf": "1", "expo": "-8",'
    ' "publish_time": 1}}]}',
    '{"parsed": [{"id": "ab", "price": {"price": "1e5", "conf": "1", "expo": -8,'
    ' "publish_time": 1}}]}',
    '{"parsed": [{"price": {}}]}', '{"parsed": "nope"}', "[1, 2, 3]", '"garbage"',
])
def test_parse_update__malformed_payloads__source_error_malformed(payload: str) -> None:
    with pytest.raises(SourceError) as err:
        parse_update(loads_exact(payload))
    assert err.value.kind == "malformed"


async def test_sse_data__events_split_across_chunks_and_crlf__reassembled_cut_one_dropped(
) -> None:
    got = await events(b": keep-alive\r\n\r\ndata: {\"a\"", b": 1}\r\n\r\nda", b"ta:x\ndata:y\n\n",
                       b"event: ping\n\ndata: cut off by the close\n")
    assert got == ['{"a": 1}', "x\ny"]


def test_parse_simulate__crossbar_results__median_and_half_spread() -> None:
    payload = loads_exact('[{"feedHash": "0xABCD", "results": ["1.20", 1.25, "1.30", "1.10"]}]')
    assert parse_simulate(payload, "abcd") == (Decimal("1.225"), Decimal("0.10"))


@pytest.mark.parametrize("payload", ['[{"feedHash": "abcd", "results": []}]',
                                     '[{"feedHash": "ffff", "results": ["1"]}]',
                                     '[{"feedHash": "abcd", "results": ["x"]}]', '{"a": 1}'])
def test_parse_simulate__bad_answers__source_error_malformed(payload: str) -> None:
    with pytest.raises(SourceError) as err:
        parse_simulate(loads_exact(payload), "abcd")
    assert err.value.kind == "malformed"
