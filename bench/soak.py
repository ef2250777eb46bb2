"""Soak: every service under 1,000 ticks/s for 30 minutes (issue #22). Goal: RSS growth
under 10 % per service, no errors.

Per window (5 minutes): p50/p99 move -> intervention.decided (path.py), unanswered moves, error
log lines and dead letters so far, each service's RSS; at the end a verdict line: RSS growth per
service (start of the soak to its end), error log lines, dead letters.

System and tick path are bench/path.py's (the e2e System: anvil with the devnet, every service
as a process; PSTR priced by one local Hermes SSE stream, tick k at 1 + k * 1e-8 USD; latency
from a tick's SSE write to the first decision reflecting it or a later tick); RSS is
bench/rss.py's (VmRSS of the process and its children). Start RSS: after a 2 s warm-up at 50
ticks/s. A window's figures are taken 5 s into the next (ticks never pause), so late answers
count. Error log lines: in the services' logs, written during the soak (the start's counted
apart): JSON lines at error/critical, another format's ERROR line (FastStream's supervisor), a
bare traceback; the first few printed with the exception they end with. Dead letters:
`ballast_deadletter_total` over every /metrics, and messages seen on `deadletter.>`.

    .venv/bin/python bench/soak.py         # 30 minutes, 5-minute windows (`make soak`)
    SOAK_MINUTES=6 SOAK_WINDOW_MINUTES=2 SOAK_RATE=1000 .venv/bin/python bench/soak.py

NATS_URL and DATABASE_URL as for path.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import statistics
import sys
import time
from typing import Any

from path import HOPS, HermesTicks, Hops, moves, path_system
from rss import memory

from ballast.cli.system import System
from ballast.common.subjects import DEADLETTER_ALL

MINUTES = float(os.environ.get("SOAK_MINUTES", "30"))
WINDOW_MINUTES = float(os.environ.get("SOAK_WINDOW_MINUTES", "5"))
RATE = int(os.environ.get("SOAK_RATE", "1000"))
GRACE = 5.0  # seconds a window's last ticks get to be answered
GOAL_GROWTH = 10.0  # percent
DECIDED = "intervention.decided"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
LEVEL = re.compile(r"\b(ERROR|CRITICAL)\b")


def is_error(line: str) -> bool:
    """A JSON log line at error/critical, or another format's ERROR line (FastStream's own)."""
    if line.startswith("{"):
        return '"level": "error"' in line or '"level": "critical"' in line
    return LEVEL.search(line) is not None


def error_events(lines: list[str]) -> list[str]:
    """One entry per error: its line, and the exception a traceback after it ends with; a bare
    traceback (a crash on stderr) is one too."""
    events: list[str] = []
    for i, line in enumerate(lines):
        bare = line.startswith("Traceback") and not any(map(is_error, lines[max(0, i - 2) : i]))
        if not (is_error(line) or bare):
            continue
        after = lines[i + 1 : i + 40]
        start = next((j for j, ln in enumerate(after) if ln.startswith("Traceback")), None)
        raised = (
            next((ln for ln in after[start + 1 :] if ln and not ln[0].isspace()), "")
            if start is not None
            else ""
        )
        events.append(" ".join(line.split())[:240] + (f" -> {raised[:120]}" if raised else ""))
    return events


class Logs:
    """Error lines the services write, read on from where the last read stopped."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.offsets: dict[str, int] = {}
        self.samples: list[str] = []

    def new_errors(self, phase: str) -> int:
        count = 0
        for name in self.system.processes:
            path = self.system.work_dir / "logs" / f"{name}.log"
            with contextlib.suppress(OSError), path.open("rb") as f:
                f.seek(self.offsets.get(name, 0))
                data = f.read()
                cut = data.rfind(b"\n") + 1  # a line still being written is read next time
                self.offsets[name] = self.offsets.get(name, 0) + cut
                text = ANSI.sub("", data[:cut].decode(errors="replace"))
                events = error_events(text.splitlines())
                count += len(events)
                room = max(0, 6 - len(self.samples))
                self.samples += [f"{phase}) {name}: {e}" for e in events[:room]]
        return count


class Ticker:
    """Ticks at `rate`/s, paced in 1 ms slots, until stopped; never waits for the answers."""

    def __init__(self, ticks: HermesTicks, rate: int) -> None:
        self.ticks, self.rate = ticks, rate
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        first, started = self.ticks.seq, time.perf_counter()
        while True:
            due = int((time.perf_counter() - started) * self.rate)
            while self.ticks.seq - first < due:
                self.ticks.tick()
            await asyncio.sleep(0.001)

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


def dead_letters_in_metrics(system: System) -> int:
    total = 0.0
    for name in system.processes:
        with contextlib.suppress(RuntimeError):
            for line in system.scrape(name).splitlines():
                if line.startswith("ballast_deadletter_total"):
                    total += float(line.rsplit(" ", 1)[1])
    return int(total)


def window_figures(ticks: HermesTicks, hops: Hops, first: int, last: int) -> tuple[str, int]:
    """'p50 p99' of tick -> decided over ticks first..last, and how many went unanswered; the
    ticks' records are dropped after (30 minutes of them would be the bench's own leak)."""
    lat = hops.latencies(DECIDED, first, last)
    unanswered = len(moves(first, last)) - len(lat)
    if len(lat) >= 2:
        qs = statistics.quantiles(lat, n=100, method="inclusive")
        text = f"{qs[49] * 1e3:8.1f} {qs[98] * 1e3:8.1f}"
    else:
        text = f"{'-':>8} {'-':>8}"
    for k in range(first, last + 1):
        ticks.sent.pop(k, None)
        for hop in HOPS:
            hops.answered[hop].pop(k, None)
    return text, unanswered


def rss_mb(system: System) -> dict[str, float]:
    return {n: memory(p.pid)["VmRSS"] / 1024 for n, p in system.processes.items()}


async def soak(system: System, ticks: HermesTicks, hops: Hops, letters: list[str]) -> None:
    names = list(system.processes)
    logs = Logs(system)
    at_start = logs.new_errors("start")
    rss0 = rss_mb(system)
    windows = max(1, round(MINUTES / WINDOW_MINUTES))
    print(
        f"soak: {RATE} ticks/s for {MINUTES:g} min, {windows} windows of "
        f"{WINDOW_MINUTES:g} min; error log lines during the start: {at_start}"
    )
    short = {n: n.replace("-monitor", "-mon")[:12] for n in names}
    print(
        f"{'window':>6} {'ticks':>8} {'p50 ms':>8} {'p99 ms':>8} {'unans.':>7} {'errors':>6} "
        f"{'DL':>4} {'load':>5} | RSS MB " + " ".join(f"{short[n]:>12}" for n in names)
    )
    print(
        f"{'start':>6} {'':>8} {'':>8} {'':>8} {'':>7} {'':>6} {'':>4} "
        f"{os.getloadavg()[0]:>5.2f} |        " + " ".join(f"{rss0[n]:>12.1f}" for n in names)
    )
    ticker = Ticker(ticks, RATE)
    errors, first, history = 0, ticks.seq + 1, [rss0]
    began = time.perf_counter()
    ticker.start()
    try:
        for w in range(1, windows + 1):
            end = began + w * WINDOW_MINUTES * 60
            await asyncio.sleep(max(0.0, end - time.perf_counter()))
            last = ticks.seq
            rss = rss_mb(system)
            history.append(rss)
            if w == windows:
                await ticker.stop()
            deadline = time.perf_counter() + GRACE
            while hops.newest[DECIDED] < last and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
            system.check_alive()
            figures, unanswered = window_figures(ticks, hops, first, last)
            errors += logs.new_errors(f"window {w}")
            print(
                f"{w:>6} {last - first + 1:>8} {figures} {unanswered:>7} {errors:>6} "
                f"{len(letters):>4} {os.getloadavg()[0]:>5.2f} |        "
                + " ".join(f"{rss[n]:>12.1f}" for n in names),
                flush=True,
            )
            first = last + 1
    finally:
        await ticker.stop()
    verdict(system, history, errors, logs, letters)


def verdict(
    system: System, history: list[dict[str, float]], errors: int, logs: Logs, letters: list[str]
) -> None:
    rss0, rss_w1, rss = history[0], history[1], history[-1]
    growth = {n: (rss[n] - rss0[n]) / rss0[n] * 100 for n in rss0}
    after_w1 = {n: (rss[n] - rss_w1[n]) / rss_w1[n] * 100 for n in rss0}
    in_metrics = dead_letters_in_metrics(system)
    dead = max(in_metrics, len(letters))
    over = [n for n, g in growth.items() if g >= GOAL_GROWTH]
    met = not over and errors == 0 and dead == 0
    for line in logs.samples:
        print(f"  error ({line}")
    for subject in sorted(set(letters))[:5]:
        print(f"  dead letter on {subject}")
    print(
        "RSS growth after the first window: "
        + ", ".join(f"{n} {g:+.1f}%" for n, g in after_w1.items())
    )
    print(
        "verdict: RSS growth "
        + ", ".join(f"{n} {g:+.1f}%" for n, g in growth.items())
        + f"; error log lines {errors}; dead letters {dead} (metrics {in_metrics}, "
        f"deadletter.> {len(letters)}) -> goal (growth < {GOAL_GROWTH:.0f}%, no errors) "
        + ("met" if met else "missed" + (f": over on {', '.join(over)}" if over else ""))
    )


async def main() -> None:
    async with path_system("soak") as run:
        letters: list[str] = []

        async def on_letter(msg: Any) -> None:
            letters.append(run.ns.unprefix(msg.subject))

        await run.nc.subscribe(run.ns.subject(DEADLETTER_ALL), cb=on_letter)
        warm = Ticker(run.ticks, 50)
        warm.start()
        await asyncio.sleep(2)
        await warm.stop()
        await asyncio.sleep(1)
        window_figures(run.ticks, run.hops, 1, run.ticks.seq)
        await soak(run.system, run.ticks, run.hops, letters)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
