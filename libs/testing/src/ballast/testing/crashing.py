"""The crash tests' checkpoint: SIGKILL this process at a named point (the crash matrix).

A service's core calls its checkpoint with the name of each point a crash may hit
("after_broadcast", ...); production gives none. A test gives `crash_hook(point)`, in a forked
child or through the service's test entry point (services/intervention/tests/crash_entry.py).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable


def no_crash(point: str) -> None:
    """A checkpoint that does nothing (a life of the crash matrix that must not die)."""


def crash_hook(point_name: str | None) -> Callable[[str], None]:
    """SIGKILL this process when the checkpoint named `point_name` is reached."""
    if not point_name:
        return no_crash

    def crash(point: str) -> None:
        if point == point_name:
            os.kill(os.getpid(), signal.SIGKILL)

    return crash
