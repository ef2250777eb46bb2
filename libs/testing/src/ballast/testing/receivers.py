"""Local servers that speak what Ballast sends out: a webhook (apprise `json://`) and OTLP/HTTP.

Both are aiohttp apps on loopback, started and stopped by the test (they run on its event loop).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


class LoopbackApp:
    """An aiohttp app on 127.0.0.1 that can go down and come back on the same port: subclasses
    add their routes in `routes`, then `start()` / `stop()`; `port` is the one bound."""

    def __init__(self) -> None:
        self.port = 0
        self._runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        if self.port == 0:
            self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class WebhookReceiver(LoopbackApp):
    """The webhook an apprise `json://` URL posts to (`url`). Records every POST: the
    `Idempotency-Key` header (comma-separated ids of a digest) and the JSON body."""

    def __init__(self, status: int = 200) -> None:
        super().__init__()
        self.status = status
        self.delay = 0.0
        self.requests: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    @property
    def ids(self) -> list[str]:
        return [i for r in self.requests for i in r["ids"]]

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/hook", self._hook)

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.json()
        header = request.headers.get("Idempotency-Key", "")
        self.requests.append(
            {"ids": [i for i in header.split(",") if i], "body": body, "at": time.perf_counter()}
        )
        self.arrived.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(status=self.status)


@dataclass(frozen=True)
class ReceivedSpan:
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    service: str
    start_ns: int
    end_ns: int
    attributes: dict[str, str]


class OtlpReceiver(LoopbackApp):
    """An OTLP/HTTP trace endpoint (`endpoint`, protobuf bodies, as the SDK's exporter sends)."""

    def __init__(self) -> None:
        super().__init__()
        self.spans: list[ReceivedSpan] = []

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/traces", self._traces)

    async def _traces(self, request: web.Request) -> web.Response:
        export = ExportTraceServiceRequest()
        export.ParseFromString(await request.read())
        for resource_spans in export.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            service = resource.get("service.name", "")
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(ReceivedSpan(
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_id=span.parent_span_id.hex() or None,
                        name=span.name,
                        service=service,
                        start_ns=span.start_time_unix_nano,
                        end_ns=span.end_time_unix_nano,
                        attributes={a.key: str(a.value.string_value or a.value.int_value)
                                    for a in span.attributes},
                    ))
        return web.Response(status=200, content_type="application/x-protobuf", body=b"")

    def trace(self, trace_id: str) -> list[ReceivedSpan]:
        return [s for s in self.spans if s.trace_id == trace_id]

    def ancestry(self, span: ReceivedSpan) -> list[ReceivedSpan]:
        """`span` and its parents up to the root (or the first parent not received), root first."""
        by_id = {s.span_id: s for s in self.trace(span.trace_id)}
        chain = [span]
        while chain[-1].parent_id is not None and chain[-1].parent_id in by_id:
            chain.append(by_id[chain[-1].parent_id])
        return chain[::-1]
