"""Pyth Hermes over HTTP: REST latest and the SSE stream (REFERENCE.md "Pyth").

- `GET /v2/updates/price/latest?ids[]=<hex>&parsed=true` and
  `GET /v2/updates/price/stream?ids[]=...&parsed=true` (one JSON update per `data:` line).
- The stream server closes after 24 hours: we reconnect at once after a clean close, and with
  exponential backoff after a failure (and after a connection that closed with no data).
- Optional API key: `Authorization: Bearer <key>`.
- Payload: `parsed[].price = {"price": "<int string>", "conf": "<int string>", "expo": int,
  "publish_time": int}`, same shape for `ema_price`; value = price × 10^expo (exact Decimal).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp

from ballast.common.messages import PriceObservation, utcnow
from ballast.oracle.adapters.base import SourceError, loads_exact
from ballast.oracle.adapters.http import get_json, sse_data
from ballast.oracle.domain.backoff import backoff_delay
from ballast.oracle.domain.units import BadValue, scaled

log = logging.getLogger("ballast.oracle.hermes")


def normalize_id(feed_id: str) -> str:
    return feed_id.lower().removeprefix("0x")


@dataclass(frozen=True)
class PythPrice:
    feed_id: str
    price: Decimal
    conf: Decimal
    publish_time: datetime
    ema_price: Decimal | None
    ema_conf: Decimal | None


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadValue(f"{name} is not an integer")
    return value


def _price(block: Any) -> tuple[Decimal, Decimal, datetime]:
    if not isinstance(block, dict):
        raise BadValue("price is not an object")
    fields: dict[str, Any] = block  # pyright: ignore[reportUnknownVariableType]
    expo = _int(fields.get("expo"), "expo")
    publish = _int(fields.get("publish_time"), "publish_time")
    price, conf = fields.get("price"), fields.get("conf")
    if not isinstance(price, str) or not isinstance(conf, str):
        raise BadValue("price and conf must be strings")
    return scaled(price, expo), scaled(conf, expo), datetime.fromtimestamp(publish, UTC)


def parse_update(payload: Any) -> list[PythPrice]:
    """The `parsed` entries of a Hermes latest/stream payload (raises SourceError)."""
    try:
        if not isinstance(payload, dict) or not isinstance(payload.get("parsed"), list):
            raise BadValue("no `parsed` list")
        out: list[PythPrice] = []
        for entry in payload["parsed"]:  # pyright: ignore[reportUnknownVariableType]
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                raise BadValue("entry without id")
            item: dict[str, Any] = entry  # pyright: ignore[reportUnknownVariableType]
            price, conf, published = _price(item.get("price"))
            ema_price = ema_conf = None
            if item.get("ema_price") is not None:
                ema_price, ema_conf, _ = _price(item["ema_price"])
            out.append(PythPrice(normalize_id(item["id"]), price, conf, published, ema_price,
                                 ema_conf))
        return out
    except BadValue as err:
        raise SourceError("malformed", str(err)) from None


class HermesClient:
    """One Hermes endpoint. Shares the service's aiohttp session."""

    def __init__(
        self,
        endpoint: str,
        session: aiohttp.ClientSession,
        *,
        api_key: str | None = None,
        timeout: float = 5.0,
        stream_read_timeout: float = 30.0,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.session = session
        self.timeout = timeout
        self.stream_read_timeout = stream_read_timeout
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.connections = 0  # stream connections opened (for tests and logs)

    @staticmethod
    def _params(ids: Sequence[str]) -> list[tuple[str, str]]:
        return [*(("ids[]", normalize_id(i)) for i in ids), ("parsed", "true")]

    async def latest(self, ids: Sequence[str]) -> list[PythPrice]:
        payload = await get_json(
            self.session, f"{self.endpoint}/v2/updates/price/latest",
            params=self._params(ids), headers=self.headers, timeout_s=self.timeout,
        )
        return parse_update(payload)

    async def stream(
        self, ids: Sequence[str], on_error: Callable[[SourceError], None]
    ) -> AsyncIterator[list[PythPrice]]:
        """Updates forever: reconnects after the server's close and, with backoff, after errors."""
        attempt = 0
        url = f"{self.endpoint}/v2/updates/price/stream"
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=self.timeout, sock_read=self.stream_read_timeout)
        while True:
            received = False
            try:
                self.connections += 1
                async with self.session.get(
                    url, params=self._params(ids), timeout=timeout,
                    headers={**self.headers, "Accept": "text/event-stream"},
                ) as resp:
                    if resp.status != 200:
                        raise SourceError("http", f"HTTP {resp.status} from the stream")
                    async for data in sse_data(resp.content):
                        try:
                            prices = parse_update(loads_exact(data))
                        except ValueError as err:
                            on_error(SourceError("malformed", f"not JSON: {str(err)[:80]}"))
                            continue
                        except SourceError as err:
                            on_error(err)
                            continue
                        received, attempt = True, 0
                        yield prices
                log.info("hermes stream closed by the server; reconnecting")
                if not received:
                    raise SourceError("closed", "stream closed without data")
            except SourceError as err:
                on_error(err)
                attempt += 1
            except TimeoutError:
                on_error(SourceError("timeout", "stream silent or connect timed out"))
                attempt += 1
            except aiohttp.ClientError as err:
                on_error(SourceError("connect", f"{type(err).__name__}: {err}"))
                attempt += 1
            if attempt:
                delay = backoff_delay(
                    attempt, base=self.backoff_base, cap=self.backoff_cap, rand=random.random())
                await asyncio.sleep(delay)


class HermesFeed:
    """One Pyth feed for one symbol, read by REST (`read`) or by the SSE stream (`stream`)."""

    def __init__(self, client: HermesClient, feed_id: str, symbol: str,
                 source: str = "pyth") -> None:
        self.client = client
        self.feed_id = normalize_id(feed_id)
        self.symbol = symbol
        self.source = source

    def _observation(self, price: PythPrice) -> PriceObservation:
        if price.price <= 0:
            raise SourceError("invalid", f"non-positive price {price.price}")
        return PriceObservation(
            source=self.source, symbol=self.symbol, price=price.price, confidence=price.conf,
            published_at=price.publish_time, observed_at=utcnow(), feed_id=self.feed_id,
        )

    def _pick(self, prices: list[PythPrice]) -> PythPrice | None:
        return next((p for p in prices if p.feed_id == self.feed_id), None)

    async def read(self) -> PriceObservation:
        found = self._pick(await self.client.latest([self.feed_id]))
        if found is None:
            raise SourceError("malformed", f"feed {self.feed_id[:10]}… missing from the answer")
        return self._observation(found)

    async def stream(
        self, on_error: Callable[[SourceError], None]
    ) -> AsyncIterator[PriceObservation]:
        async for prices in self.client.stream([self.feed_id], on_error):
            found = self._pick(prices)
            if found is None:
                continue
            try:
                yield self._observation(found)
            except SourceError as err:
                on_error(err)
