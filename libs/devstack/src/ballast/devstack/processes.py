"""Run a server or a service as a real child process, and always get rid of it again.

Tests and `ballast up` start real binaries (nats-server, postgres, anvil) and the Ballast
services themselves. Three things make that bearable:

* each child starts in a new process group, so stopping it also stops whatever it spawned
  (anvil's npm launcher is a node script that starts the real binary);
* its stdout and stderr go to a log file, never to a pipe nobody reads (a full pipe blocks it);
* when it dies early, the error says so and shows the end of that log, instead of a bare
  "connection refused" three layers further up.

Stopping sends the stop signal (SIGTERM unless told) to the group, waits, then SIGKILLs it. The
group is only signalled while its leader is still un-reaped, so its id cannot have been reused.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

TAIL_LINES = 40
PR_SET_PDEATHSIG = 1


LISTEN_PORTS_FROM = 20_000
"""free_port picks from here up to the kernel's ephemeral range (outbound connections' ports)."""
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now, below the kernel's ephemeral range: a port the
    kernel picks (bind to 0) is an ephemeral one, which the next outbound connection of any
    process may take before the caller's child binds it (seen: a service dying at start with
    "address already in use"). Random tries, each checked by a bind; the kernel's pick only
    where the range is unknown or full. Still racy against another free_port caller, rarely."""
    rng = random.SystemRandom()
    with contextlib.suppress(OSError, ValueError):
        low = int(EPHEMERAL_RANGE.read_text().split()[0])
        for _ in range(50) if low > LISTEN_PORTS_FROM else ():
            port = rng.randrange(LISTEN_PORTS_FROM, low)
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, \
                    contextlib.suppress(OSError):
                sock.bind((host, port))
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        picked: int = sock.getsockname()[1]
        return picked


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def repo_root(start: Path | None = None) -> Path:
    """The workspace root: the nearest directory at or above `start` that holds uv.lock."""
    origin = (start or Path.cwd()).resolve()
    for candidate in (origin, *origin.parents):
        if (candidate / "uv.lock").is_file():
            return candidate
    raise FileNotFoundError(f"no uv.lock at or above {origin}: not inside the Ballast workspace")


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    """The last lines of a log file ('' when it does not exist yet)."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _set_parent_death_signal() -> None:
    """prctl(PR_SET_PDEATHSIG, SIGTERM), in the child between fork and exec (Linux only)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class _StopOnExit:
    """`with x:` stops x on the way out."""

    def stop(self) -> object:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ProcessDiedError(RuntimeError):
    """A child process exited when it was expected to keep running."""


@dataclass
class ManagedProcess(_StopOnExit):
    """One child process leading its own process group, logging to `log_path`."""

    name: str
    argv: tuple[str, ...]
    popen: subprocess.Popen[bytes]
    log_path: Path
    stop_signal: int = signal.SIGTERM

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = TAIL_LINES) -> str:
        return tail(self.log_path, lines)

    def death_report(self) -> str:
        """Exit code, command line and the log's tail, for an error message."""
        return (
            f"{self.name} (pid {self.pid}) exited with code {self.popen.returncode}.\n"
            f"command: {' '.join(self.argv)}\n"
            f"last lines of {self.log_path}:\n{self.tail() or '(empty log)'}"
        )

    def check_alive(self) -> None:
        """Raise ProcessDiedError, with the log's tail, when the process has exited."""
        if not self.running:
            raise ProcessDiedError(self.death_report())

    def wait_until(
        self, probe: Callable[[], bool], *, what: str, timeout: float = 10.0, interval: float = 0.01
    ) -> float:
        """Poll `probe` until it is true; returns the seconds it took.

        Fails fast (with the log's tail) when the process dies, and after `timeout` otherwise.
        """
        started = time.monotonic()
        deadline = started + timeout
        while True:
            self.check_alive()
            if probe():
                return time.monotonic() - started
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{self.name} (pid {self.pid}) not ready after {timeout:.0f}s: {what}.\n"
                    f"last lines of {self.log_path}:\n{self.tail() or '(empty log)'}"
                )
            time.sleep(interval)

    def stop(self, timeout: float = 5.0) -> int | None:
        """Signal the whole group, wait up to `timeout`, then SIGKILL it. Returns the exit code."""
        if self.popen.returncode is not None:
            return self.popen.returncode  # already reaped: its group id may belong to others now
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, self.stop_signal)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            return self.popen.wait()


def start_process(
    argv: Sequence[str | os.PathLike[str]],
    *,
    log_path: Path,
    name: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
    stop_signal: int = signal.SIGTERM,
    die_with_parent: bool = False,
) -> ManagedProcess:
    """Start `argv` in a new process group with stdout+stderr appended to `log_path`.

    `env` is added to (not substituted for) the current environment. `user` runs it as that
    system user (only possible as root; Postgres refuses to run as root). `die_with_parent`
    asks Linux to SIGTERM the child when this process dies, even by SIGKILL (`ballast up`).
    """
    args = tuple(os.fspath(a) for a in argv)
    full_env = {**os.environ, **(env or {})}
    uid: int | None = None
    gid: int | None = None
    extra_groups: list[int] | None = None
    if user is not None:
        entry = pwd.getpwnam(user)
        uid, gid, extra_groups = entry.pw_uid, entry.pw_gid, []
        full_env.update(HOME=entry.pw_dir, USER=user, LOGNAME=user)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        popen = subprocess.Popen(  # noqa: S603 - argv comes from the test code, never a shell
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=cwd,
            process_group=0,
            user=uid,
            group=gid,
            extra_groups=extra_groups,
            preexec_fn=_set_parent_death_signal if die_with_parent else None,  # noqa: PLW1509
        )
    return ManagedProcess(name or Path(args[0]).name, args, popen, log_path, stop_signal)


@dataclass
class ProcessGroup(_StopOnExit):
    """Several processes started together (an e2e system) and stopped in reverse order.

    Each one logs to `<log_dir>/<name>.log`.
    """

    log_dir: Path
    processes: list[ManagedProcess] = field(default_factory=lambda: [])

    def start(
        self,
        name: str,
        argv: Sequence[str | os.PathLike[str]],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        stop_signal: int = signal.SIGTERM,
    ) -> ManagedProcess:
        """Start one member; see `start_process`."""
        proc = start_process(
            argv,
            name=name,
            log_path=self.log_dir / f"{name}.log",
            env=env,
            cwd=cwd,
            stop_signal=stop_signal,
        )
        self.processes.append(proc)
        return proc

    def check_alive(self) -> None:
        """Raise ProcessDiedError naming every member that has exited, with its log's tail."""
        dead = [p for p in self.processes if not p.running]
        if dead:
            raise ProcessDiedError("\n\n".join(p.death_report() for p in dead))

    def stop(self, timeout: float = 5.0) -> None:
        for proc in reversed(self.processes):
            proc.stop(timeout)
