"""A service app (anything with async `start()` / `stop()`) running on its own event loop in a
thread, so a synchronous test (hypothesis's `@given`) can call its HTTP ports with a plain
client while the service serves them."""

from __future__ import annotations

import asyncio
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable, Generator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar


class Startable(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


App = TypeVar("App", bound=Startable)


@contextmanager
def running_in_thread(build: Callable[[], App], timeout: float = 60.0) -> Generator[App]:
    """Build the app on the thread's loop, start it, yield it; stop it and the loop after."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="service-loop", daemon=True)
    thread.start()

    def call(coro: Awaitable[Any]) -> Any:
        async def wrap() -> Any:
            return await coro
        return asyncio.run_coroutine_threadsafe(wrap(), loop).result(timeout)

    async def build_and_start() -> App:
        app = build()
        await app.start()
        return app

    try:
        app: App = call(build_and_start())
        try:
            yield app
        finally:
            call(app.stop())
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        loop.close()


def http_request(
    method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, str]:
    """One blocking HTTP request (stdlib only): the status and the body's text, 4xx/5xx too."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"an http(s) URL, not {url!r}")
    request = urllib.request.Request(  # noqa: S310 - http(s) checked above
        url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310
            return resp.status, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")


def quote(segment: str) -> str:
    """A path segment or query value, percent-encoded (nothing left unescaped)."""
    return urllib.parse.quote(segment, safe="")
