"""Local stand-ins that speak the real wire formats (REFERENCE.md "Pyth", "Switchboard"):
a Hermes REST + SSE server and a Crossbar server, with switches for the failures a source can
throw at us (500, 429, garbage, malformed JSON, slowness, the 24-hour stream close)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

BTC = "e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43"
SWITCHBOARD_HASH = "4cd1cad962425681af07b9254b7d804de3ca3446fbfd1371bb258d2c75059812"


def hermes_entry(
    feed_id: str, price: int, conf: int, expo: int, publish_time: int
) -> dict[str, Any]:
    """One `parsed` entry exactly as Hermes v2 sends it (strings for price and conf)."""
    return {
        "id": feed_id,
        "price": {"price": str(price), "conf": str(conf), "expo": expo,
                  "publish_time": publish_time},
        "ema_price": {"price": str(price + 1000), "conf": str(conf), "expo": expo,
                      "publish_time": publish_time},
        "metadata": {"slot": 140012345 + publish_time % 1000,
                     "proof_available_time": publish_time + 1,
                     "prev_publish_time": publish_time - 1},
    }


@dataclass
class FakeSources:
    """State of the fake Hermes and Crossbar; tests flip `mode` and the prices."""

    url: str = ""
    mode: str = "ok"  # ok | 500 | 429 | garbage | malformed | slow
    api_key: str | None = None
    feeds: dict[str, tuple[int, int, int, int]] = field(
        default_factory=lambda: {BTC: (6140993501000, 3287868567, -8, 1714746101)})
    switchboard: dict[str, list[Any]] = field(
        default_factory=lambda: {SWITCHBOARD_HASH: ["61400.5", "61410.5", "61405.0"]})
    events_per_connection: int = 3
    stream_fail_first: int = 0
    stream_connections: int = 0
    auth_seen: list[str | None] = field(default_factory=list[str | None])

    def payload(self, ids: list[str]) -> dict[str, Any]:
        parsed = [hermes_entry(i, *self.feeds[i]) for i in ids if i in self.feeds]
        return {"binary": {"encoding": "hex", "data": ["504e41550100000003b8" + "00" * 64]},
                "parsed": parsed}


async def _failure(state: FakeSources) -> web.StreamResponse | None:
    if state.mode == "500":
        return web.Response(status=500, text="internal error")
    if state.mode == "429":
        return web.Response(status=429, text="Too Many Requests")
    if state.mode == "garbage":
        return web.Response(status=200, body=b"\x00\xffnot json at all")
    if state.mode == "slow":
        await asyncio.sleep(1.0)
    return None


def build_app(state: FakeSources) -> web.Application:
    async def latest(request: web.Request) -> web.StreamResponse:
        state.auth_seen.append(request.headers.get("Authorization"))
        if state.api_key and request.headers.get("Authorization") != f"Bearer {state.api_key}":
            return web.Response(status=401, text="unauthorized")
        failed = await _failure(state)
        if failed is not None:
            return failed
        if state.mode == "malformed":
            return web.json_response({"parsed": [{"id": BTC, "price": {"price": 61409.9,
                                                                       "expo": "-8"}}]})
        return web.json_response(state.payload(request.query.getall("ids[]", [])))

    async def stream(request: web.Request) -> web.StreamResponse:
        state.stream_connections += 1
        if state.stream_connections <= state.stream_fail_first:
            return web.Response(status=503, text="unavailable")
        ids = request.query.getall("ids[]", [])
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b": keep-alive\n\n")
        for _ in range(state.events_per_connection):
            for feed_id in ids:
                price, conf, expo, published = state.feeds[feed_id]
                state.feeds[feed_id] = (price + 100, conf, expo, published + 1)
            body = json.dumps(state.payload(ids))
            if state.mode == "malformed":
                body = '{"parsed": [{"id": 1}]}'
            await resp.write(f"data:{body}\n\n".encode())
            await asyncio.sleep(0.01)
        return resp  # the server closes the stream, as Hermes does after 24 h

    async def simulate(request: web.Request) -> web.StreamResponse:
        failed = await _failure(state)
        if failed is not None:
            return failed
        hashes = request.match_info["hashes"].split(",")
        return web.json_response([{"feedHash": h, "results": state.switchboard[h]}
                                  for h in hashes if h in state.switchboard])

    app = web.Application()
    app.router.add_get("/v2/updates/price/latest", latest)
    app.router.add_get("/v2/updates/price/stream", stream)
    app.router.add_get("/simulate/{hashes}", simulate)
    return app


@pytest.fixture
async def fake_sources() -> AsyncIterator[FakeSources]:
    state = FakeSources()
    runner = web.AppRunner(build_app(state), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}"
    yield state
    await runner.cleanup()
