"""A raw nats-py subscriber for tests that watch what a service publishes on the bus."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from nats.aio.client import Client


@asynccontextmanager
async def subscribed(
    url: str, subjects: Sequence[str], on_msg: Callable[[Any], Awaitable[None]]
) -> AsyncGenerator[Client]:
    """Connected to `url`, with `on_msg` called for each message on any of `subjects` (core NATS
    subscriptions, so only what is published from now on); drained on the way out."""
    nc = Client()
    await nc.connect(url)
    try:
        for subject in subjects:
            await nc.subscribe(subject, cb=on_msg)  # pyright: ignore[reportUnknownMemberType]
        yield nc
    finally:
        await nc.drain()
