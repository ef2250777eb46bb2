"""The API's HTTP server (uvicorn) inside the service process, started and stopped with it.

The service's ops port (/metrics, /healthz, /readyz) stays as in every service; the API has its
own port so probes and scrapes never queue behind a thousand streams. No access log: request
lines can carry `?access_token=`. Nor do the request spans (FastAPI's telemetry records
`url.query`): an HTTP request's `access_token` moves to its Authorization header before the app
sees the request (TokenQueryToHeader).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
from collections.abc import Generator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import uvicorn
from fastapi import FastAPI

_TOKEN_IN_QUERY = re.compile(r"(access_token=)[^&\s\"']+")


class RedactTokens(logging.Filter):
    """uvicorn logs a WebSocket's path with its query string: never with a token in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        if isinstance(record.msg, str) and "access_token=" in record.msg:
            record.msg = _TOKEN_IN_QUERY.sub(r"\1<redacted>", record.msg)
        for key in ("color_message",):
            if hasattr(record, key):
                delattr(record, key)
        return True


class TokenQueryToHeader:
    """ASGI wrapper: an HTTP request's `?access_token=` leaves the query string (so no span,
    log or error page records it) and becomes `Authorization: Bearer` unless the request has one
    (the header wins, as in api/auth.py). WebSockets keep theirs: their spans carry no query."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        query: bytes = scope.get("query_string", b"") if scope.get("type") == "http" else b""
        if b"access_token=" in query:
            pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
            tokens = [v for k, v in pairs if k == "access_token"]
            rest = [(k, v) for k, v in pairs if k != "access_token"]
            headers = list(scope.get("headers", []))
            if tokens and not any(_bearer(k, v) for k, v in headers):
                headers = [(k, v) for k, v in headers if k.lower() != b"authorization"]
                headers.append((b"authorization", f"Bearer {tokens[0]}".encode("latin-1")))
            scope = {**scope, "query_string": urlencode(rest).encode("latin-1"),
                     "headers": headers}
        await self.app(scope, receive, send)


def _bearer(name: bytes, value: bytes) -> bool:
    """An `Authorization: Bearer <token>` header (what api/auth.py takes before the query)."""
    scheme, _, token = value.decode("latin-1").partition(" ")
    is_auth = name.lower() == b"authorization"
    return is_auth and scheme.lower() == "bearer" and bool(token.strip())


def _quiet_uvicorn() -> None:
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)  # no line per connection


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: SIGTERM belongs to the service (common.Service)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None]:
        yield


class ApiServer:
    def __init__(self, api: FastAPI, host: str, port: int) -> None:
        self.api, self.host, self.port = api, host, port
        self.bound_port: int | None = None
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(2048)
        sock.setblocking(False)
        self.bound_port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            TokenQueryToHeader(self.api), log_config=None, access_log=False, lifespan="off",
            ws="websockets-sansio",
            ws_ping_interval=20.0, ws_ping_timeout=20.0, timeout_graceful_shutdown=3,
            backlog=2048,
        )
        _quiet_uvicorn()
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="gateway-api")
        while not self._server.started:
            if self._task.done():
                await self._task
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 10.0)
