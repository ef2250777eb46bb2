"""HTTP API on the service's ops port: list and acknowledge alerts, silences, a live stream.

    GET  /alerts                 firing alerts (?all=1: every key Postgres knows)
    GET  /alerts/history         the latest notifications (?limit=100)
    POST /alerts/{key}/ack       {"by": "alice"}: stops repeats and escalation of the episode
    GET  /silences               active silences
    POST /silences               {"matchers": {...}, "expires_at" | "duration_seconds", "by"}
    DELETE /silences/{id}        lift a silence now (held notifications go out on the next tick)
    GET  /alerts/stream          Server-Sent Events: `snapshot` once, then `alert` and `ack`

The stream follows the StakeBasket seed's WebSocket broadcast of AlertManager events; SSE is
enough for a dashboard (one direction, reconnects by itself, passes proxies as plain HTTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Any, Protocol

from aiohttp import web

from ballast.alerts.domain.model import AlertRecord, Silence, record_json, silence_json
from ballast.alerts.metrics import AlertsMetrics

CLOSE = "close"


class StreamHub:
    """Fan-out of events to connected stream clients; a slow client loses its oldest events."""

    def __init__(self, metrics: AlertsMetrics, queue_size: int = 1000) -> None:
        self._clients: set[asyncio.Queue[tuple[str, dict[str, Any]]]] = set()
        self.metrics = metrics
        self.queue_size = queue_size

    def publish(self, event: str, data: dict[str, Any]) -> None:
        for queue in self._clients:
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait((event, data))

    def close(self) -> None:
        """Ends every stream (the service is stopping): each client gets `close` and is let go."""
        self.publish(CLOSE, {})

    def connect(self) -> asyncio.Queue[tuple[str, dict[str, Any]]]:
        queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(self.queue_size)
        self._clients.add(queue)
        self._count()
        return queue

    def disconnect(self, queue: asyncio.Queue[tuple[str, dict[str, Any]]]) -> None:
        self._clients.discard(queue)
        self._count()

    @property
    def clients(self) -> int:
        return len(self._clients)

    def _count(self) -> None:
        self.metrics.stream_clients.set(len(self._clients))


class AlertsBackend(Protocol):
    """What the API needs from the running service (the core, app.Alerts)."""

    def active(self) -> list[AlertRecord]: ...
    async def all_records(self) -> list[AlertRecord]: ...
    async def history(self, limit: int) -> list[dict[str, Any]]: ...
    async def acknowledge(self, key: str, by: str) -> AlertRecord | None: ...
    async def add_silence(self, silence: Silence) -> None: ...
    async def expire_silence(self, silence_id: str) -> bool: ...
    def silences(self) -> list[Silence]: ...
    def now(self) -> datetime: ...


def _bad(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(
        text=json.dumps({"error": reason}), content_type="application/json"
    )


def _text(value: object, what: str) -> str:
    """A string Postgres can store (text takes no NUL character): 400 otherwise."""
    text = str(value)
    if "\x00" in text:
        raise _bad(f"{what}: no NUL characters")
    return text


class AlertsApi:
    def __init__(
        self, backend: AlertsBackend, hub: StreamHub, keepalive_seconds: float = 15.0
    ) -> None:
        self.backend = backend
        self.hub = hub
        self.keepalive_seconds = keepalive_seconds

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/alerts", self.list_alerts)
        app.router.add_get("/alerts/history", self.history)
        app.router.add_get("/alerts/stream", self.stream)
        app.router.add_post("/alerts/{key:.+}/ack", self.ack)
        app.router.add_get("/silences", self.list_silences)
        app.router.add_post("/silences", self.create_silence)
        app.router.add_delete("/silences/{id}", self.delete_silence)

    async def list_alerts(self, request: web.Request) -> web.Response:
        if request.query.get("all") in {"1", "true"}:
            records = await self.backend.all_records()
        else:
            records = sorted(self.backend.active(), key=lambda r: r.starts_at)
        return web.json_response({"alerts": [record_json(r) for r in records]})

    async def history(self, request: web.Request) -> web.Response:
        try:
            limit = min(max(int(request.query.get("limit", "100")), 1), 1000)
        except ValueError:
            raise _bad("limit must be an integer") from None
        return web.json_response({"notifications": await self.backend.history(limit)})

    async def ack(self, request: web.Request) -> web.Response:
        body = await _json(request)
        by = _text(body.get("by") or request.headers.get("X-User") or "api", "by")
        record = await self.backend.acknowledge(_text(request.match_info["key"], "key"), by)
        if record is None:
            raise web.HTTPNotFound(
                text=json.dumps({"error": "no such alert"}), content_type="application/json"
            )
        return web.json_response(record_json(record))

    async def list_silences(self, _: web.Request) -> web.Response:
        silences = [silence_json(s) for s in self.backend.silences()]
        return web.json_response({"silences": silences})

    async def create_silence(self, request: web.Request) -> web.Response:
        body = await _json(request)
        matchers = body.get("matchers")
        if not isinstance(matchers, dict) or not matchers:
            raise _bad("matchers: a non-empty object of label -> value")
        now = self.backend.now()
        try:
            if "expires_at" in body:
                expires = datetime.fromisoformat(str(body["expires_at"]))
            else:
                expires = now + timedelta(seconds=float(body.get("duration_seconds", 3600)))
        except (TypeError, ValueError, OverflowError):
            raise _bad("expires_at (ISO 8601 with zone) or duration_seconds") from None
        if expires.tzinfo is None or expires <= now:
            raise _bad("expires_at must be a future time with a zone")
        pairs: dict[Any, Any] = matchers  # pyright: ignore[reportUnknownVariableType]
        silence = Silence(
            id=_text(body.get("id") or uuid.uuid4(), "id"),
            matchers={_text(k, "matchers"): _text(v, "matchers") for k, v in pairs.items()},
            starts_at=now,
            expires_at=expires,
            created_by=_text(body.get("by", "api"), "by"),
            reason=_text(body.get("reason", ""), "reason"),
        )
        await self.backend.add_silence(silence)
        return web.json_response(silence_json(silence), status=201)

    async def delete_silence(self, request: web.Request) -> web.Response:
        if not await self.backend.expire_silence(_text(request.match_info["id"], "id")):
            raise web.HTTPNotFound(
                text=json.dumps({"error": "no such silence"}), content_type="application/json"
            )
        return web.json_response({"expired": request.match_info["id"]})

    async def stream(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        queue = self.hub.connect()
        try:
            snapshot = {"alerts": [record_json(r) for r in self.backend.active()]}
            await _send(response, "snapshot", snapshot)
            while True:
                try:
                    event, data = await asyncio.wait_for(queue.get(), self.keepalive_seconds)
                except TimeoutError:
                    await response.write(b": keepalive\n\n")
                    continue
                await _send(response, event, data)
                if event == CLOSE:
                    break
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.hub.disconnect(queue)
        return response


async def _json(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise _bad("body must be JSON") from None
    if not isinstance(body, dict):
        raise _bad("body must be a JSON object")
    return body  # pyright: ignore[reportUnknownVariableType]


async def _send(response: web.StreamResponse, event: str, data: dict[str, Any]) -> None:
    await response.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())

