"""Switchboard on-demand through Crossbar: `GET /simulate/<feedHash>` (REFERENCE.md
"Switchboard") -> `[{"feedHash": "...", "results": ["1.2345", ...]}]`.

The feed's value is the median of the oracle results; half their spread is reported as the
confidence so the consensus can drop a feed whose oracles disagree. Crossbar is rate-limited
(429): the runner backs off.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import aiohttp

from ballast.common.messages import PriceObservation, utcnow
from ballast.oracle.adapters.base import SourceError
from ballast.oracle.adapters.http import get_json
from ballast.oracle.domain.units import BadValue, parse_decimal


def normalize_hash(feed_hash: str) -> str:
    return feed_hash.lower().removeprefix("0x")


def parse_simulate(payload: Any, feed_hash: str) -> tuple[Decimal, Decimal]:
    """(median, half spread) of the results for `feed_hash` (raises SourceError)."""
    try:
        if not isinstance(payload, list):
            raise BadValue("expected a list")
        for entry in payload:  # pyright: ignore[reportUnknownVariableType]
            if not isinstance(entry, dict):
                raise BadValue("entry is not an object")
            item: dict[str, Any] = entry  # pyright: ignore[reportUnknownVariableType]
            if normalize_hash(str(item.get("feedHash", ""))) != feed_hash:
                continue
            results = item.get("results")
            if not isinstance(results, list) or not results:
                raise BadValue("no results")
            values = sorted(parse_decimal(v) for v in results)  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
            mid = len(values) // 2
            median = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
            return median, (values[-1] - values[0]) / 2
        raise BadValue(f"feed {feed_hash[:10]}… not in the answer")
    except BadValue as err:
        raise SourceError("malformed", str(err)) from None


class CrossbarFeed:
    def __init__(self, endpoint: str, session: aiohttp.ClientSession, feed_hash: str,
                 symbol: str, source: str = "switchboard", timeout: float = 5.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.session = session
        self.feed_hash = normalize_hash(feed_hash)
        self.symbol, self.source, self.timeout = symbol, source, timeout

    async def read(self) -> PriceObservation:
        payload = await get_json(self.session, f"{self.endpoint}/simulate/{self.feed_hash}",
                                 timeout_s=self.timeout)
        price, spread = parse_simulate(payload, self.feed_hash)
        if price <= 0:
            raise SourceError("invalid", f"non-positive price {price}")
        now = utcnow()
        return PriceObservation(source=self.source, symbol=self.symbol, price=price,
                                confidence=spread, published_at=now, observed_at=now,
                                feed_id="0x" + self.feed_hash)
