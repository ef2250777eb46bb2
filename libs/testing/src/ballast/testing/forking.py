"""A test's own code in a forked child that can be SIGKILLed at any point (the crash tests)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import traceback
from collections.abc import Callable, Coroutine
from typing import Any


def fork(main: Callable[[], Coroutine[Any, Any, int]]) -> int:
    """Run `main` in a forked child with its own event loop; the parent gets the pid."""
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 1
        try:
            asyncio.events._set_running_loop(None)  # noqa: SLF001 - forked inside a running loop
            code = asyncio.run(main())
        except BaseException:  # noqa: BLE001 - any failure is the exit code
            traceback.print_exc()
        os._exit(code)
    return pid


async def wait(pid: int, limit: float = 30.0) -> int:
    """Exit code, or minus the signal number that ended the child."""
    deadline = time.monotonic() + limit
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)  # noqa: ASYNC222 - WNOHANG never blocks
        if done:
            return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)  # noqa: ASYNC222 - it was just killed
            raise TimeoutError(f"child {pid} still running after {limit}s")
        await asyncio.sleep(0.002)
