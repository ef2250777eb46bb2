"""The chaos suite's faults (issue 22) and its figures. Imported by test_chaos.py.

Each fault is injected into a running System (ballast.cli.system) and timed from the moment the
fault ends (the server back, the proxy listening again, the process restarted) until the system
has recovered (every service's /readyz answers 200 again, plus what the fault kind asks for).

- nats-server SIGKILLed and started again on its JetStream store (`sync_interval: always`);
- the private Postgres stopped (fast shutdown) and started again on its data;
- the chain RPC cut at the proxy the services use for it (ballast.devstack.proxy);
- one service SIGKILLed and started again by the harness;
- the webhook channel stopped and started again on its port.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from ballast.devstack.nats import server_info, start_nats_process
from ballast.devstack.postgres import EmbeddedPostgres
from ballast.devstack.processes import ManagedProcess

RECOVERY_WITHIN = 120.0


def env_count(name: str, default: int) -> int:
    """A count of the run from the environment (CHAOS_NATS_KILLS=3 ... for a short run)."""
    return int(os.environ.get(name, default))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(q * 100) - 1]


@dataclass
class Figures:
    """Per fault kind: runs, recoveries, seconds to recover, anything lost or doubled."""

    runs: Counter[str] = field(default_factory=lambda: Counter[str]())
    recovered: dict[str, list[float]] = field(default_factory=lambda: dict[str, list[float]]())
    lost: Counter[str] = field(default_factory=lambda: Counter[str]())
    doubled: Counter[str] = field(default_factory=lambda: Counter[str]())
    notes: list[str] = field(default_factory=lambda: list[str]())

    def ran(self, kind: str) -> None:
        self.runs[kind] += 1

    def recovery(self, kind: str, seconds: float) -> None:
        self.recovered.setdefault(kind, []).append(seconds)

    def rows(self) -> list[str]:
        head = f"{'fault':<26}{'runs':>5}{'recov':>6}{'p50 s':>8}{'p99 s':>8}{'max s':>8}"
        out = [head + f"{'lost':>6}{'doubled':>8}"]
        for kind in sorted(set(self.runs) | set(self.lost) | set(self.doubled)):
            times = self.recovered.get(kind, [])
            p50, p99, top = (
                (percentile(times, 0.5), percentile(times, 0.99), max(times))
                if times
                else (float("nan"),) * 3
            )
            out.append(
                f"{kind:<26}{self.runs[kind]:>5}{len(times):>6}{p50:>8.2f}{p99:>8.2f}"
                f"{top:>8.2f}{self.lost[kind]:>6}{self.doubled[kind]:>8}"
            )
        return out


async def ready(port: int, session: aiohttp.ClientSession) -> bool:
    try:
        async with session.get(
            f"http://127.0.0.1:{port}/readyz", timeout=aiohttp.ClientTimeout(total=2)
        ) as resp:
            return resp.status == 200
    except (aiohttp.ClientError, TimeoutError, OSError):
        return False


async def not_ready(system: Any) -> set[str]:
    """The services whose /readyz does not answer 200 right now."""
    async with aiohttp.ClientSession() as session:
        answers = await asyncio.gather(*(ready(system.ports[n], session) for n in system.processes))
    return {n for n, ok in zip(system.processes, answers, strict=True) if not ok}


async def until(probe: Callable[[], Awaitable[bool]], within: float = RECOVERY_WITHIN) -> float:
    """Seconds until `probe()` holds; TimeoutError after `within`."""
    started = time.monotonic()
    async with asyncio.timeout(within):
        while not await probe():
            await asyncio.sleep(0.05)
    return time.monotonic() - started


async def all_ready(system: Any, names: list[str] | None = None) -> bool:
    down = await not_ready(system)
    return not (down & set(names or system.processes))


def pause(low: float, high: float) -> Awaitable[None]:
    return asyncio.sleep(random.uniform(low, high))


class NatsFault:
    """SIGKILL the System's nats-server and start it again on the same port and store."""

    def __init__(self, system: Any) -> None:
        self.system = system
        self.port = int(urlsplit(system.nats_url).port or 4222)
        self.pid: int | None = system.nats_pid  # the first one is the System's own
        self.proc: ManagedProcess | None = None

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.popen.kill()
            self.proc.popen.wait()
            self.proc = None
        elif self.pid is not None:
            os.kill(self.pid, signal.SIGKILL)  # the System's process reaps it when it stops
            self.pid = None
        deadline = time.monotonic() + 10
        while server_info(self.system.nats_url, timeout=0.2) is not None:
            if time.monotonic() > deadline:
                raise TimeoutError("nats-server still answers after its SIGKILL")
            time.sleep(0.02)

    def start(self) -> None:
        self.proc = start_nats_process(
            self.system.nats_dir,
            self.port,
            config=True,
            env=self.system.bus_users.server_env(),
            timeout=30,
        )

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop(timeout=10)


class PostgresFault:
    """Stop the private Postgres (fast shutdown) and start it again on its data and port."""

    def __init__(self, server: EmbeddedPostgres) -> None:
        self.server = server

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server.start(timeout=60)
