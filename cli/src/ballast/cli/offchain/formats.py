"""The wire formats of Pyth Hermes and Switchboard Crossbar, as the real servers send them
(REFERENCE.md "Pyth", "Switchboard"). Pure: quotes in, JSON-ready dicts out.

Hermes v2 (`/v2/updates/price/latest`, and one such object per SSE `data:` line of
`/v2/updates/price/stream`):

    {"binary": {"encoding": "hex", "data": ["<accumulator update>"]},
     "parsed": [{"id": "<hex, no 0x>",
                 "price": {"price": "<int string>", "conf": "<int string>", "expo": -8,
                           "publish_time": <unix s>},
                 "ema_price": {...same shape...},
                 "metadata": {"slot": ..., "proof_available_time": ..., "prev_publish_time": ...}}]}

Crossbar (`/simulate/<feedHash,...>`): `[{"feedHash": "<hex>", "results": ["1.2345", ...]}]`,
one result per Switchboard oracle that answered.

The `binary` data is not a signed Wormhole VAA (no guardian signs a devnet): consumers that
verify it on chain cannot use this server; Ballast's oracle reads `parsed` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ACCUMULATOR_MAGIC = "504e4155"  # "PNAU", the prefix of a Pyth accumulator update


@dataclass(frozen=True)
class PythQuote:
    """One Pyth price as Hermes carries it: integers scaled by 10^expo."""

    price: int
    conf: int
    expo: int
    publish_time: int
    prev_publish_time: int = 0


def feed_key(feed_id: str) -> str:
    """Hermes ids and Crossbar hashes on the wire: lower-case hex, no 0x."""
    return feed_id.lower().removeprefix("0x")


def hermes_entry(feed_id: str, quote: PythQuote) -> dict[str, Any]:
    block = {"price": str(quote.price), "conf": str(quote.conf), "expo": quote.expo,
             "publish_time": quote.publish_time}
    return {
        "id": feed_key(feed_id),
        "price": block,
        "ema_price": dict(block),
        "metadata": {"slot": quote.publish_time, "proof_available_time": quote.publish_time,
                     "prev_publish_time": quote.prev_publish_time or quote.publish_time},
    }


def hermes_payload(quotes: Mapping[str, PythQuote], ids: Iterable[str]) -> dict[str, Any]:
    """The answer for the requested `ids` (unknown ids are left out, as Hermes does with
    `ignore_invalid_price_ids`)."""
    parsed = [hermes_entry(i, quotes[feed_key(i)]) for i in ids if feed_key(i) in quotes]
    update = ACCUMULATOR_MAGIC + "".join(f"{e['price']['publish_time']:016x}" for e in parsed)
    return {"binary": {"encoding": "hex", "data": [update]}, "parsed": parsed}


def crossbar_simulate(
    results: Mapping[str, Sequence[Decimal]], hashes: Iterable[str]
) -> list[dict[str, Any]]:
    return [{"feedHash": feed_key(h), "results": [str(r) for r in results[feed_key(h)]]}
            for h in hashes if feed_key(h) in results]

