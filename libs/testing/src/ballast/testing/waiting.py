"""Waiting, in a test, for what a running service does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def eventually(predicate: Callable[[], object], within: float = 10.0) -> None:
    """Return once `predicate()` is true (asked every 20 ms); TimeoutError after `within` s."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - a condition in another task, not an event
            await asyncio.sleep(0.02)
