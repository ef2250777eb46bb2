"""The API's HTTP server (uvicorn) inside the service process, started and stopped with it.

The service's ops port (/metrics, /healthz, /readyz) stays as in every service; the API has its
own port so probes and scrapes never queue behind a thousand streams. No access log: request
lines can carry `?access_token=`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
from collections.abc import Generator

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
            self.api, log_config=None, access_log=False, lifespan="off", ws="websockets-sansio",
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
