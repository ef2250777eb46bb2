"""Path benchmark: a price tick -> intervention.decided, with all six services running.

Prints figures, never a verdict (issue #10 goal: p99 <= 20 ms at 1,000 ticks/s).

The system is what the e2e tests run (ballast.cli.system.System): an anvil with the devnet,
and the six services as processes on NATS and Postgres. PSTR's price comes from one Pyth Hermes
source, a local server speaking Hermes' SSE stream (`data: {"binary":..., "parsed": [...]}`),
and nothing else (min_sources 1). Every tick moves the price: every MOVE_EVERY-th tick (100th)
by 0.1% (a move), the others by 1e-10 USD (noise, far under the oracle's
`consensus_min_change`, 1 bp, so the oracle takes them all but publishes none until they add
up or the heartbeat is due). Tick k is priced 1 + (k // MOVE_EVERY) * 0.001 + k * 1e-10 USD,
so any message downstream tells which tick it reflects. The latency figures are the moves':

    tick (SSE event written) -> oracle: prices.consensus.PSTR -> treasury: treasury.state
    -> intervention: intervention.decided (blocked by the trigger rule, the common case; the
    evaluation and its Postgres transaction cost the same as an acting one)

A move's latency is the time from its SSE write to the first intervention.decided that reflects
it or a later tick: the path coalesces (the treasury recomputes from the newest prices once the
previous recompute is done), so a tick superseded in flight is answered by the decision on its
successor. The same is measured at every hop. The treasury runs with state_debounce_seconds 0:
its default 0.25 s quiet period (folding a burst into one state) would add 250 ms to each.

Phase 1: ticks at RATE/s for SECONDS (RATE / MOVE_EVERY moves a second). Phase 2: the rate
doubles until the path stops keeping up (p99 over 1 s or the last move unanswered after 5 s):
the highest rate kept up with is the maximum sustained rate; decisions/s as produced.

    .venv/bin/python bench/path.py   # NATS_URL else a private nats-server with production's
                                     # users (we read as the observer); DATABASE_URL else embedded
    BENCH_RATE=1000 BENCH_SECONDS=30 BENCH_MOVE_EVERY=100 .venv/bin/python bench/path.py
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import nats
from aiohttp import web
from gateway import cpu_seconds as cpu_of

from ballast.cli.busauth import OBSERVER
from ballast.cli.system import System, infrastructure
from ballast.common.subjects import Namespace
from ballast.testing.receivers import LoopbackApp

RATE = int(os.environ.get("BENCH_RATE", "1000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
MAX_RATE = int(os.environ.get("BENCH_MAX_RATE", "16000"))
MOVE_EVERY = int(os.environ.get("BENCH_MOVE_EVERY", "100"))
EXPO = -10
MOVE_UNITS = 10**7  # 0.001 USD at expo -10: a 0.1% move
FEED = "ab" * 32
HOPS = ("prices.consensus.PSTR", "treasury.state", "intervention.decided")


class HermesTicks(LoopbackApp):
    """A Hermes v2 server whose SSE stream writes tick k at the pace `run_rate` sets."""

    def __init__(self) -> None:
        super().__init__()
        self.seq = 0
        self.sent: dict[int, float] = {}
        self.queues: list[asyncio.Queue[bytes]] = []

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/v2/updates/price/latest", self.latest)
        app.router.add_get("/v2/updates/price/stream", self.stream)

    def payload(self, seq: int) -> bytes:
        now = int(time.time())
        entry = {"price": str(10**-EXPO + (seq // MOVE_EVERY) * MOVE_UNITS + seq),
                 "conf": "1000000", "expo": EXPO,
                 "publish_time": now}
        body = {"binary": {"encoding": "hex", "data": []},
                "parsed": [{"id": FEED, "price": entry, "ema_price": entry,
                            "metadata": {"slot": seq, "proof_available_time": now,
                                         "prev_publish_time": now}}]}
        return json.dumps(body).encode()

    async def latest(self, _: web.Request) -> web.Response:
        return web.Response(body=self.payload(self.seq), content_type="application/json")

    async def stream(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.queues.append(queue)
        try:
            while True:
                await resp.write(await queue.get())
        finally:
            self.queues.remove(queue)

    def tick(self) -> None:
        self.seq += 1
        event = b"data:" + self.payload(self.seq) + b"\n\n"
        self.sent[self.seq] = time.perf_counter()
        for queue in self.queues:
            queue.put_nowait(event)


class Hops:
    """Per hop: the first time a message reflecting tick >= k arrived, for every k."""

    def __init__(self, ticks: HermesTicks) -> None:
        self.ticks = ticks
        self.answered: dict[str, dict[int, float]] = {hop: {} for hop in HOPS}
        self.newest: dict[str, int] = dict.fromkeys(HOPS, 0)
        self.count: dict[str, int] = dict.fromkeys(HOPS, 0)

    def seen(self, hop: str, price: Any) -> None:
        if price is None:
            return
        now = time.perf_counter()
        seq = int((Decimal(str(price)) - 1).scaleb(-EXPO)) % MOVE_UNITS
        self.count[hop] += 1
        answered = self.answered[hop]
        for k in range(self.newest[hop] + 1, seq + 1):
            answered[k] = now
        self.newest[hop] = max(self.newest[hop], seq)

    def latencies(self, hop: str, first: int, last: int) -> list[float]:
        """Of the moves among ticks first..last."""
        sent, answered = self.ticks.sent, self.answered[hop]
        return [answered[k] - sent[k] for k in moves(first, last) if k in answered]


def moves(first: int, last: int) -> range:
    """The ticks first..last that move the price by 0.1%."""
    return range(first + (-first) % MOVE_EVERY, last + 1, MOVE_EVERY)


def price_of(hop: str, body: dict[str, Any]) -> Any:
    if hop == "prices.consensus.PSTR":
        return body["price"] if body.get("status") == "OK" else None
    return body.get("pstr_price") if hop == "treasury.state" else body["inputs"].get("price")


def pct(values: list[float]) -> str:
    if len(values) < 2:
        return f"n={len(values)}"
    qs = statistics.quantiles(values, n=100, method="inclusive")
    return (f"p50 {qs[49] * 1e3:8.2f} ms  p99 {qs[98] * 1e3:8.2f} ms  max {max(values) * 1e3:8.2f}"
            f" ms  over 20 ms: {sum(v > 0.020 for v in values)}  (n={len(values)})")


async def run_rate(ticks: HermesTicks, hops: Hops, rate: int, seconds: float) -> tuple[int, int]:
    """Ticks at `rate`/s for `seconds` (paced in 1 ms slots); returns (first, last) tick."""
    first = ticks.seq + 1
    started = time.perf_counter()
    total = int(rate * seconds)
    while ticks.seq - first + 1 < total:
        due = int((time.perf_counter() - started) * rate) + 1
        while ticks.seq - first + 1 < min(due, total):
            ticks.tick()
        await asyncio.sleep(0.001)
    last = ticks.seq
    deadline = time.perf_counter() + 5
    last_move = moves(first, last)[-1]
    while hops.newest["intervention.decided"] < last_move and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    return first, last


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU seconds of each process so far (Linux /proc)."""
    out: dict[str, float] = {}
    for name, pid in pids.items():
        with contextlib.suppress(OSError):
            out[name] = cpu_of(pid)
    return out


def report(hops: Hops, first: int, last: int, rate: int) -> float:
    decided = hops.latencies("intervention.decided", first, last)
    n = len(moves(first, last))
    print(f"  ticks {last - first + 1} at {rate}/s, {n} of them moves of 0.1%; moves answered "
          f"by a decision: {len(decided)}")
    for hop in HOPS:
        print(f"    move -> {hop:<22} {pct(hops.latencies(hop, first, last))}")
    if not decided or hops.newest["intervention.decided"] < moves(first, last)[-1]:
        return float("inf")
    return statistics.quantiles(decided, n=100, method="inclusive")[98]


def oracle_config(work: Path, hermes_port: int) -> Path:
    config = json.loads((work / "oracle-devnet.json").read_text())
    config["symbols"]["PSTR"] = {"min_sources": 1, "jump_threshold": "0.5", "sources": [{
        "kind": "pyth_hermes", "endpoint": f"http://127.0.0.1:{hermes_port}",
        "feed_id": FEED, "stream": True, "poll_seconds": 3600, "max_age_seconds": 60}]}
    path = work / "oracle-bench.json"
    path.write_text(json.dumps(config))
    return path


@dataclass
class PathSystem:
    ticks: HermesTicks
    hops: Hops
    system: System
    nc: Any
    ns: Namespace
    work: Path


@contextlib.asynccontextmanager
async def path_system(kind: str) -> AsyncIterator[PathSystem]:
    """The devnet and all services on a database of their own, the Hermes stream feeding the
    oracle, an observer counting every hop of HOPS; everything stopped and dropped after."""
    ticks = HermesTicks()
    await ticks.start()
    work = Path(tempfile.mkdtemp(prefix=f"ballast-bench-{kind}-"))
    with infrastructure() as (nats_url, admin):
        db = f"bench_{kind}_{secrets.token_hex(4)}"
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{db}"')
        await conn.close()
        # a namespace only on a shared server: production's permissions name bare subjects
        prefix = f"{kind}{secrets.token_hex(3)}" if nats_url else ""
        system = System(work, nats_url, admin.rsplit("/", 1)[0] + f"/{db}", namespace=prefix)
        await asyncio.to_thread(system.start_chain)
        system.overrides = {
            "oracle": {"CONFIG_FILE": str(oracle_config(work, ticks.port)), "LOG_LEVEL": "WARNING"},
            "treasury": {"STATE_DEBOUNCE_SECONDS": "0", "LOG_LEVEL": "WARNING"},
            "intervention": {"LOG_LEVEL": "WARNING"},
            "alerts": {"LOG_LEVEL": "WARNING"},
        }
        hops = Hops(ticks)
        users = system.bus_users  # None on NATS_URL's server, used without users
        nc = await (users.connect(OBSERVER) if users else nats.connect(system.nats_url or ""))
        ns = Namespace(prefix)
        for hop in HOPS:
            async def on(msg: Any, hop: str = hop) -> None:
                hops.seen(hop, price_of(hop, json.loads(msg.data)))
            await nc.subscribe(ns.subject(hop), cb=on)
        try:
            t0 = time.perf_counter()
            await asyncio.to_thread(system.start_services)
            print(f"system up in {time.perf_counter() - t0:.1f}s "
                  f"({', '.join(system.processes)}); logs in {work / 'logs'}; "
                  f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
            yield PathSystem(ticks, hops, system, nc, ns, work)
        finally:
            await nc.drain()
            await asyncio.to_thread(system.stop)
            await ticks.stop()
            conn = await asyncpg.connect(admin)
            await conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            await conn.close()


async def main() -> None:
    async with path_system("path") as run:
        ticks, hops, system = run.ticks, run.hops, run.system
        await run_rate(ticks, hops, 50, 2)  # warm-up: connections, caches, first states
        system.check_alive()  # a service that died at start (a port taken) fails the bench here
        print(f"phase 1: {RATE} ticks/s for {SECONDS:.0f}s")
        c0, k0 = hops.count["intervention.decided"], hops.count["prices.consensus.PSTR"]
        pids = {name: proc.pid for name, proc in system.processes.items()}
        cpu0, wall0 = cpu_seconds(pids), time.perf_counter()
        first, last = await run_rate(ticks, hops, RATE, SECONDS)
        cpu1, wall = cpu_seconds(pids), time.perf_counter() - wall0
        report(hops, first, last, RATE)
        print(f"  decisions/s {(hops.count['intervention.decided'] - c0) / SECONDS:.0f}; "
              f"consensus published/s "
              f"{(hops.count['prices.consensus.PSTR'] - k0) / SECONDS:.0f}")
        busy = {n: (cpu1[n] - cpu0[n]) / wall for n in cpu1 if n in cpu0}
        print("  CPU of the services (cores): " + ", ".join(
            f"{n} {c:.2f}" for n, c in sorted(busy.items(), key=lambda x: -x[1])) +
            f"; machine load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        print("phase 2: maximum sustained rate (p99 under 1 s, the last tick answered)")
        best, rate = 0, RATE
        while rate <= MAX_RATE:
            c0 = hops.count["intervention.decided"]
            first, last = await run_rate(ticks, hops, rate, 5)
            p99 = report(hops, first, last, rate)
            print(f"  decisions/s {(hops.count['intervention.decided'] - c0) / 5:.0f}")
            if p99 > 1.0:
                break
            best, rate = rate, rate * 2
        print(f"maximum sustained tick rate: {best}/s (next step {rate}/s did not keep up)"
              if rate <= MAX_RATE else f"kept up at every rate up to {best}/s")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
