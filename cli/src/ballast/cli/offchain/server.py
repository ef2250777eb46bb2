"""A local Pyth Hermes and Switchboard Crossbar on one loopback port (formats.py for the wire).

    GET /v2/updates/price/latest?ids[]=<hex>&parsed=true      Hermes REST
    GET /v2/updates/price/stream?ids[]=<hex>&parsed=true      Hermes SSE: an update per change
    GET /simulate/<feedHash,...>                              Crossbar
    GET /healthz

Quotes come from a `read()` callable (chain.py: the devnet chain), polled every `interval`
seconds off the event loop; each SSE stream writes a `data:` line whenever one of its feeds'
publish time moves (and a `:` comment every 15 s, as a keep-alive). An id the server does not
know is answered as Hermes does: a 404 naming it on REST, left out of a stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable

from aiohttp import web

from ballast.cli.offchain.chain import Snapshot
from ballast.cli.offchain.formats import crossbar_simulate, feed_key, hermes_payload

log = logging.getLogger("ballast.offchain")
KEEPALIVE_SECONDS = 15.0


class OffchainServer:
    def __init__(self, read: Callable[[], Snapshot], *, interval: float = 0.5) -> None:
        self.read, self.interval = read, interval
        self.snapshot = Snapshot({}, {})
        self.changed = asyncio.Condition()
        self.reads = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v2/updates/price/latest", self.latest)
        app.router.add_get("/v2/updates/price/stream", self.stream)
        app.router.add_get("/simulate/{hashes}", self.simulate)
        app.router.add_get("/healthz", self.healthz)
        return app

    async def refresh_forever(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as err:  # noqa: BLE001 - anvil restarting: keep the last quotes
                log.warning("chain read failed: %r", err)
            await asyncio.sleep(self.interval)

    async def refresh(self) -> None:
        snapshot = await asyncio.to_thread(self.read)
        self.reads += 1
        if snapshot != self.snapshot:
            self.snapshot = snapshot
            async with self.changed:
                self.changed.notify_all()

    # ------------------------------------------------------------------ routes
    async def healthz(self, _: web.Request) -> web.Response:
        return web.Response(text="ok" if self.reads else "starting", status=200 if self.reads
                            else 503)

    async def latest(self, request: web.Request) -> web.Response:
        ids = request.query.getall("ids[]", [])
        if not ids:
            return web.json_response({"error": "ids[] is required"}, status=400)
        unknown = [i for i in ids if feed_key(i) not in self.snapshot.pyth]
        if unknown:
            return web.Response(status=404, text=f"Price ids not found: {', '.join(unknown)}")
        return web.json_response(hermes_payload(self.snapshot.pyth, ids))

    async def stream(self, request: web.Request) -> web.StreamResponse:
        ids = request.query.getall("ids[]", [])
        if not ids:
            return web.json_response({"error": "ids[] is required"}, status=400)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                               "Cache-Control": "no-cache"})
        await response.prepare(request)
        sent: dict[str, int] = {}
        while True:
            quotes = self.snapshot.pyth
            times = {feed_key(i): quotes[feed_key(i)].publish_time for i in ids
                     if feed_key(i) in quotes}
            if times and times != sent:
                body = json.dumps(hermes_payload(quotes, ids))
                await response.write(f"data:{body}\n\n".encode())
                sent = times
            async with self.changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), KEEPALIVE_SECONDS)
                    continue
            await response.write(b":\n\n")

    async def simulate(self, request: web.Request) -> web.Response:
        hashes = [h for h in request.match_info["hashes"].split(",") if h]
        return web.json_response(crossbar_simulate(self.snapshot.switchboard, hashes))
