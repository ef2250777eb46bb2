"""RSS benchmark: each service's resident memory at steady state, under the live devnet stack.

Prints figures, never a verdict (issue #23 goal: every service <= 150 MB).

The stack is what `ballast up` and the e2e tests start (ballast.cli.system.System): an anvil with
the devnet deployed, the local Hermes + Crossbar price servers, and every installed service as its
own `python -m ballast.<service>` process on NATS and Postgres, with the devnet's own traffic
(prices every few seconds, the monitors polling the chain) and nothing else. Once every service
answers /readyz, VmRSS (from /proc/<pid>/status, plus any child processes) is sampled every
SAMPLE seconds for SECONDS; the table shows the last sample, the highest one, its anonymous
part (RssAnon: the Python heap, not shared libraries) and VmHWM (the peak since start).

    .venv/bin/python bench/rss.py           # NATS_URL else a private nats-server;
                                            # DATABASE_URL (admin) else embedded Postgres
    BENCH_SECONDS=60 BENCH_SAMPLE=5 .venv/bin/python bench/rss.py
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import tempfile
import time
from pathlib import Path

import asyncpg

from ballast.cli.system import System, infrastructure

SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
SAMPLE = float(os.environ.get("BENCH_SAMPLE", "5"))
GOAL_MB = 150.0


def status(pid: int) -> dict[str, int]:
    """The kB fields of /proc/<pid>/status (VmRSS, RssAnon, VmHWM...); empty once it is gone."""
    out: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if value.strip().endswith(" kB"):
                out[key] = int(value.split()[0])
    return out


def family(pid: int) -> list[int]:
    """`pid` and its descendants (a service that forks workers counts them all)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in task.read_text().split()]
    return found


def memory(pid: int) -> dict[str, int]:
    """VmRSS, RssAnon and VmHWM in kB, summed over the process and its children."""
    total = {"VmRSS": 0, "RssAnon": 0, "VmHWM": 0}
    for p in family(pid):
        fields = status(p)
        for key in total:
            total[key] += fields.get(key, 0)
    return total


async def exec_admin(admin: str, sql: str) -> None:
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="ballast-bench-rss-"))
    with infrastructure() as (nats_url, admin):
        db = f"bench_rss_{secrets.token_hex(4)}"
        asyncio.run(exec_admin(admin, f'CREATE DATABASE "{db}"'))
        # a namespace only on a shared server: production's permissions name bare subjects
        prefix = f"rss{secrets.token_hex(3)}" if nats_url else ""
        system = System(work, nats_url, admin.rsplit("/", 1)[0] + f"/{db}", namespace=prefix)
        try:
            t0 = time.perf_counter()
            system.start()
            print(f"system up in {time.perf_counter() - t0:.1f} s ({', '.join(system.processes)})"
                  f"; sampling VmRSS every {SAMPLE:.0f} s for {SECONDS:.0f} s")
            samples: dict[str, list[dict[str, int]]] = {name: [] for name in system.processes}
            deadline = time.monotonic() + SECONDS
            while time.monotonic() < deadline:
                time.sleep(SAMPLE)
                system.check_alive()
                for name, proc in system.processes.items():
                    samples[name].append(memory(proc.pid))
            report(samples)
        finally:
            system.stop()
            asyncio.run(exec_admin(admin, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))


def report(samples: dict[str, list[dict[str, int]]]) -> None:
    print(f"{'service':<20} {'VmRSS last':>11} {'max':>9} {'RssAnon':>9} {'VmHWM':>9}   "
          f"goal {GOAL_MB:.0f} MB")
    over: list[str] = []
    for name, rows in samples.items():
        last, high = rows[-1], max(r["VmRSS"] for r in rows)
        mb = high / 1024
        verdict = "over" if mb > GOAL_MB else "under"
        if mb > GOAL_MB:
            over.append(name)
        print(f"{name:<20} {last['VmRSS'] / 1024:>8.1f} MB {mb:>6.1f} MB "
              f"{last['RssAnon'] / 1024:>6.1f} MB {last['VmHWM'] / 1024:>6.1f} MB   {verdict}")
    print(f"over {GOAL_MB:.0f} MB: {', '.join(over) or 'none'}; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
