"""Live stream routes: `GET /api/v1/stream` (WebSocket) and `GET /api/v1/events` (SSE).

Both authenticate like every route, check each subject filter against the caller's role before
a byte of data leaves, then pump the client's queue (hub.py) until the client goes or is cut.
The pump's send runs in its own task: a client that stops reading blocks only that task, which
the cut cancels, and the connection is then dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request, WebSocket
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ballast.gateway.api.auth import Caller, gateway
from ballast.gateway.domain.access import Principal, bearer, check_readable
from ballast.gateway.domain.filters import FilterError, parse_filters
from ballast.gateway.hub import Hub, StreamClient

router = APIRouter(prefix="/api/v1", tags=["stream"])

SUBJECTS = Query(description="comma-separated NATS subject filters, e.g. prices.consensus.*")


def _filters(principal: Principal, subjects: str) -> tuple[str, ...]:
    filters = parse_filters(subjects)
    check_readable(filters, principal.role)
    return filters


async def pump(hub: Hub, client: StreamClient, send: Callable[[str], Awaitable[None]],
               keepalive: Callable[[], Awaitable[None]] | None, keepalive_s: float) -> None:
    """Send the client's frames in order until it is cut (returns) or a send fails (raises)."""
    while not client.cut.is_set():
        frame = hub.next_frame(client)
        if frame is None:
            client.wake.clear()
            if keepalive is None:  # WebSocket: the server pings; no timer per wait (a task each)
                await client.wake.wait()
                continue
            try:
                await asyncio.wait_for(client.wake.wait(), keepalive_s)
            except TimeoutError:
                await keepalive()
                hub.sent(client)
            continue
        await send(frame)
        hub.sent(client)


async def _until_cut_or_done(client: StreamClient, *work: Awaitable[Any]) -> None:
    tasks = [asyncio.ensure_future(w) for w in work]
    cut = asyncio.ensure_future(client.cut.wait())
    try:
        await asyncio.wait([*tasks, cut], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in (*tasks, cut):
            t.cancel()
        for t in (*tasks, cut):
            with contextlib.suppress(BaseException):
                await t


@router.websocket("/stream")
async def websocket_stream(websocket: WebSocket, subjects: str = SUBJECTS) -> None:
    app = gateway(websocket)  # type: ignore[arg-type]
    token = bearer(websocket.headers.get("authorization")) or websocket.query_params.get(
        "access_token"
    )
    principal = app.authenticate(token)
    if principal is None:
        app.metrics.denied.labels("token").inc()
        await websocket.close(code=1008, reason="a valid bearer token is required")
        return
    try:
        filters = _filters(principal, subjects)
    except FilterError as err:
        app.metrics.denied.labels("subjects").inc()
        await websocket.close(code=1008, reason=str(err)[:120])
        return
    hub: Hub = websocket.app.state.hub
    await websocket.accept()
    client = await hub.connect(filters, principal.name)
    settings = websocket.app.state.settings

    async def drain_incoming() -> None:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    try:
        await _until_cut_or_done(
            client,
            pump(hub, client, websocket.send_text, None, settings.stream_keepalive_seconds),
            drain_incoming(),
        )
    finally:
        await hub.disconnect(client)
    if client.cut.is_set():
        with contextlib.suppress(Exception):
            await asyncio.wait_for(websocket.close(code=1008, reason=client.cut_reason), 1.0)


class _EventStream(Response):
    """An SSE response driving its own sends, so a stuck send can be cancelled (then the server
    drops the connection, the response being unfinished)."""

    def __init__(self, hub: Hub, client: StreamClient, keepalive_s: float) -> None:
        super().__init__(media_type="text/event-stream")
        self.hub, self.client, self.keepalive_s = hub, client, keepalive_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),
        ]})

        async def frame(text: str) -> None:
            body = b"data: " + text.encode() + b"\n\n"
            await send({"type": "http.response.body", "body": body, "more_body": True})

        async def keepalive() -> None:
            await send({"type": "http.response.body", "body": b": keepalive\n\n",
                        "more_body": True})

        async def disconnected() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        try:
            await _until_cut_or_done(
                self.client,
                pump(self.hub, self.client, frame, keepalive, self.keepalive_s),
                disconnected(),
            )
        finally:
            await self.hub.disconnect(self.client)


@router.get(
    "/events",
    summary="the live stream as server-sent events",
    response_description="text/event-stream; each `data:` is a frame {subject, data, received_at}",
)
async def events(
    request: Request, principal: Caller, subjects: str = SUBJECTS
) -> Response:
    try:
        filters = _filters(principal, subjects)
    except FilterError as err:
        gateway(request).metrics.denied.labels("subjects").inc()
        raise HTTPException(403 if "not readable" in str(err) else 400, str(err)) from None
    hub: Hub = request.app.state.hub
    client = await hub.connect(filters, principal.name)
    return _EventStream(hub, client, request.app.state.settings.stream_keepalive_seconds)


@router.get("/stream/clients", summary="connected stream clients and their drops (operators)")
async def clients(request: Request, principal: Caller) -> list[dict[str, Any]]:
    if not principal.may_control:
        raise HTTPException(403, "this needs an operator token")
    hub: Hub = request.app.state.hub
    now = hub.clock()
    return [
        {"name": c.name, "filters": list(c.filters), "queued": len(c.queue),
         "dropped": c.queue.dropped, "behind_seconds": round(c.queue.behind_seconds(now), 3)}
        for c in hub.clients
    ]
