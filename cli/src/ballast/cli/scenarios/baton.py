"""Who drives the devnet market: one scenario at a time.

`ballast up` runs a scenario in the background (calm by default); an operator then runs, say,
`ballast scenario crash` in another terminal. Two drivers at once would fight: the calm walk pulls
PSTR back while the crash pushes it down, both sign with the trader key (nonce clashes) and both
toggle automine. So the foreground run takes the baton, through three small files in the stack's
data directory:

    scenario-background.pid   written by `ballast up`'s runner while it runs
    scenario-foreground.pid   written by `ballast scenario` while it runs
    scenario-paused.ack       the runner's answer: "paused for <foreground pid>", written only
                              between steps, so no step of the runner is in flight after it

The foreground waits for the acknowledgement (when a runner is alive) before its first step and
removes its file when done; the runner then resumes with a fresh calm walk around wherever the
market was left (see run_forever).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Generator
from pathlib import Path

from ballast.cli.infra import alive


class BatonBusy(RuntimeError):
    """Another foreground scenario is running."""


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip() or 0)
    except (OSError, ValueError):
        return None


class Baton:
    def __init__(self, data_dir: Path) -> None:
        self.background = data_dir / "scenario-background.pid"
        self.foreground = data_dir / "scenario-foreground.pid"
        self.ack = data_dir / "scenario-paused.ack"
        data_dir.mkdir(parents=True, exist_ok=True)

    # ---------------------------------------------------------------- the background runner
    @contextlib.contextmanager
    def runner(self) -> Generator[None]:
        self.background.write_text(str(os.getpid()))
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                self.background.unlink()

    def foreground_pid(self) -> int | None:
        """The pid of a live foreground scenario, if one holds the baton."""
        pid = _read_pid(self.foreground)
        return pid if alive(pid) else None

    def acknowledge(self, pid: int) -> None:
        self.ack.write_text(str(pid))

    # ---------------------------------------------------------------- a foreground scenario
    @contextlib.contextmanager
    def hold(self, timeout: float = 15.0) -> Generator[None]:
        """Take the baton for this process; wait until a live background runner has paused."""
        me = os.getpid()
        holder = self.foreground_pid()
        if holder is not None and holder != me:
            raise BatonBusy(f"another scenario is driving this devnet (pid {holder})")
        self.foreground.write_text(str(me))
        try:
            deadline = time.monotonic() + timeout
            while alive(_read_pid(self.background)) and _read_pid(self.ack) != me:
                if time.monotonic() > deadline:
                    raise TimeoutError("the background scenario of `ballast up` did not pause")
                time.sleep(0.05)
            yield
        finally:
            for path in (self.foreground, self.ack):
                with contextlib.suppress(OSError):
                    path.unlink()
