"""web3.py's AsyncHTTPProvider without its process-wide lock (needs the `evm` extra: web3).

web3.py 7.x takes one `threading.Lock`, shared by every HTTP provider in the process, on every
async request, through `loop.run_in_executor(pool, lock.acquire)`. A request cancelled while it
waits there (an `asyncio.wait_for` timeout, a task cancelled at shutdown) leaves the executor
thread to acquire the lock after the coroutine has gone, and nobody ever releases it: from then
on every web3 HTTP request of the process, sync or async, blocks for ever (web3.py issue #3867,
fix proposed in PR #3872, not released). Ballast's services time out their chain reads, so they
would meet it; the test suite did (a treasury test hung in `HTTPSessionManager._lock`).

The session a provider needs is per event loop and endpoint, and every use of one key happens on
that loop's thread, so no thread lock is needed at all: `async_http_provider` gives a provider
whose session manager caches its aiohttp sessions the same way, minus the lock.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import ClientSession, ClientTimeout, TCPConnector
from eth_typing import URI
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3._utils.caching.caching_utils import generate_cache_key  # pyright: ignore[reportPrivateUsage]
from web3._utils.http_session_manager import (  # pyright: ignore[reportPrivateUsage]
    HTTPSessionManager,
)

_closing: set[asyncio.Task[None]] = set()


class LockFreeSessionManager(HTTPSessionManager):
    """HTTPSessionManager whose async path takes no thread lock (see the module docstring)."""

    async def async_cache_and_return_session(
        self,
        endpoint_uri: URI,
        session: ClientSession | None = None,
        request_timeout: ClientTimeout | None = None,
    ) -> ClientSession:
        key = generate_cache_key(f"{id(asyncio.get_running_loop())}:{endpoint_uri}")
        cached: ClientSession | None = self.session_cache.get_cache_entry(key)
        if cached is not None and not cached.closed and not _loop_closed(cached):
            return cached
        fresh = session or ClientSession(
            raise_for_status=True,
            connector=TCPConnector(force_close=True, enable_cleanup_closed=True),
        )
        stale: list[ClientSession] = []
        if cached is not None:  # closed, or of a loop that has ended (its id reused)
            self.session_cache.pop(key)
            if not cached.closed and not _loop_closed(cached):
                stale.append(cached)
        _, evicted = self.session_cache.cache(key, fresh)
        stale += list((evicted or {}).values())
        for old in stale:
            task = asyncio.create_task(old.close())
            _closing.add(task)
            task.add_done_callback(_closing.discard)
        return fresh


def _loop_closed(session: ClientSession) -> bool:
    loop: asyncio.AbstractEventLoop = session._loop  # pyright: ignore[reportPrivateUsage]  # noqa: SLF001
    return loop.is_closed()


def async_http_provider(rpc_url: str, **kwargs: Any) -> AsyncHTTPProvider:
    """An AsyncHTTPProvider for `rpc_url` using LockFreeSessionManager (kwargs as web3's)."""
    provider = AsyncHTTPProvider(rpc_url, **kwargs)
    provider._request_session_manager = LockFreeSessionManager()  # pyright: ignore[reportPrivateUsage]  # noqa: SLF001
    return provider


def connect(rpc_url: str, timeout: float | None = None, *, retry: bool = True) -> AsyncWeb3[Any]:
    """An AsyncWeb3 on `rpc_url` over `async_http_provider`: `timeout` seconds per request (web3's
    default when None); `retry=False` drops web3's hidden retries (the caller owns backoff)."""
    kwargs: dict[str, Any] = {}
    if timeout is not None:
        kwargs["request_kwargs"] = {"timeout": timeout}
    if not retry:
        kwargs["exception_retry_configuration"] = None
    return AsyncWeb3(async_http_provider(rpc_url, **kwargs))
