"""A stop that a library hid: a loop that catches Exception asks `stopping()` first."""

from __future__ import annotations

import asyncio


def stopping() -> None:
    """Raise CancelledError when the current task was asked to stop. A loop that catches
    Exception calls it first: a library that turns a cancellation into an error of its own
    (a driver interrupted mid-query) must not keep the loop, and so the stop, going for ever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
