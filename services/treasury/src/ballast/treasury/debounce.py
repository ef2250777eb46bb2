"""When the treasury recomputes its state: debounced after inputs change, and again the moment
an input the last state called fresh turns stale (a helper of the core in app.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from opentelemetry import context as otel_context

log = logging.getLogger("ballast.treasury")


class Debounced:
    """Runs `work` once after `quiet()` seconds of quiet. A burst of `schedule()` calls gives one
    run after the quiet period, and a call that arrives while a run is going gets one more right
    after it (never left for the 5-minute cycle). Each run happens in the trace context of the
    newest call that asked for it."""

    def __init__(
        self, work: Callable[[], Awaitable[object]], quiet: Callable[[], float], name: str
    ) -> None:
        self._work = work
        self._quiet = quiet
        self._name = name
        self._task: asyncio.Task[None] | None = None
        self._due = False
        self._trigger: otel_context.Context | None = None
        self._timer: asyncio.TimerHandle | None = None

    def schedule(self) -> None:
        self._due = True
        self._trigger = otel_context.get_current()
        if self._task is not None and not self._task.done():
            return
        self._task = asyncio.create_task(self._run_while_due(), name=self._name)

    def schedule_in(self, seconds: float | None) -> None:
        """Schedule a run `seconds` from now (replacing the last such timer); None: no timer."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if seconds is not None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(max(0.0, seconds), self.schedule)

    async def stop(self) -> None:
        """Cancel the timer and a pending run (its connection is back in the pool on return)."""
        self.schedule_in(None)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run_while_due(self) -> None:
        while self._due:
            await asyncio.sleep(self._quiet())
            self._due = False
            token = otel_context.attach(self._trigger or otel_context.get_current())
            try:
                await self._work()
            except Exception:
                log.exception("%s failed", self._name)
            finally:
                otel_context.detach(token)
