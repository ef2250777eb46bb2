"""Service apps built and started by a test, stopped after it."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from ballast.common.service import ServiceApp

App = TypeVar("App", bound=ServiceApp)


@asynccontextmanager
async def started_apps(
    build: Callable[..., App], **defaults: Any
) -> AsyncGenerator[Callable[..., Awaitable[App]]]:
    """`make(**overrides)`: `build(**defaults, **overrides)` (settings values), started. On the
    way out each app still connected to its database is stopped."""
    apps: list[App] = []

    async def make(**overrides: Any) -> App:
        app = build(**(defaults | overrides))
        apps.append(app)
        await app.start()
        return app

    try:
        yield make
    finally:
        for app in apps:
            if app.service.db.connected:
                await app.stop()
