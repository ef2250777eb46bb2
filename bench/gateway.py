"""Gateway benchmark: 1,000 WebSocket clients on `prices.consensus.*`, publish -> receive.

The gateway runs as its own process (`python -m ballast.gateway`, as `ballast up` starts it) so
its RSS and CPU are its own. This process opens the clients (aiohttp) and publishes
ConsensusPrice messages to JetStream at a steady rate across three symbols, each carrying its
sequence; every client's receive time minus the publish time of that sequence is one sample.
Prints p50/p99/max latency, frames/s delivered, drops, and the gateway's RSS and CPU. Goal
(issue 19): p99 <= 100 ms on this machine. Figures, not a verdict.

    .venv/bin/python bench/gateway.py      # NATS_URL else a private nats-server;
                                           # DATABASE_URL (admin) else an embedded Postgres
    BENCH_CLIENTS=1000 BENCH_RATE=10 BENCH_SECONDS=20 .venv/bin/python bench/gateway.py

The live rate (default 2/s) is what a local `ballast up` publishes on `prices.consensus.*` with
the calm scenario (about 1.6 messages/s over five symbols); BENCH_RATE=10 is five times that.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg
import nats

from ballast.common import messages as m
from ballast.common.bus import ensure_streams
from ballast.common.subjects import Namespace
from ballast.devstack.nats import run_nats_server
from ballast.devstack.postgres import run_embedded_postgres
from ballast.devstack.processes import free_port
from ballast.gateway.domain.access import hash_token

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "1000"))
# consensus messages per second, all symbols: `ballast up` (calm) publishes about 1.6/s
RATE = float(os.environ.get("BENCH_RATE", "2"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
SYMBOLS = ("PSTR", "CORE", "BTC", "USDC", "PUMP")
PROFILE = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get(
    "BENCH_PROFILE") else []  # BENCH_PROFILE=/tmp/gw.prof: the gateway under cProfile
SEQUENCE = re.compile(r'"sequence":(\d+)')


@contextlib.contextmanager
def infrastructure(work: Path) -> Iterator[tuple[str, str]]:
    with contextlib.ExitStack() as stack:
        nats_url = os.environ.get("NATS_URL") or stack.enter_context(
            run_nats_server(work / "nats")).url
        admin = os.environ.get("DATABASE_URL") or stack.enter_context(run_embedded_postgres()).dsn
        yield nats_url, admin


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else 0


def consensus(symbol: str, seq: int) -> bytes:
    return m.ConsensusPrice(
        symbol=symbol, price=Decimal("1.2345"), status=m.ConsensusStatus.OK,
        sources=[m.SourceReading(source=s, used=True, price=Decimal("1.2345"))
                 for s in ("pyth", "switchboard", "chainlink")],
        sources_used=3, computed_at=datetime.now(UTC), sequence=seq,
    ).model_dump_json().encode()


async def client(http: aiohttp.ClientSession, url: str, token: str, start_seq: int,
                 samples: list[float], sent: dict[int, float], ready: list[int]) -> None:
    async with http.ws_connect(url, headers={"Authorization": f"Bearer {token}"},
                               autoping=True, max_msg_size=0) as ws:
        ready.append(1)
        async for msg in ws:
            now = time.perf_counter()
            found = SEQUENCE.search(msg.data)  # cheaper than json.loads: the client is measured too
            seq = int(found.group(1)) if found else -1
            if seq >= start_seq and seq in sent:
                samples.append(now - sent[seq])


async def run(nats_url: str, admin: str, work: Path) -> None:
    db = f"bench_gateway_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{db}"')
    await conn.close()
    parts = urlsplit(admin)
    dsn = urlunsplit(parts._replace(path=f"/{db}"))
    token = secrets.token_urlsafe(32)
    tokens = work / "tokens.json"
    tokens.write_text(json.dumps([{"name": "bench", "role": "viewer", "hash": hash_token(token)}]))
    port, ops = free_port(), free_port()
    prefix = f"bench{secrets.token_hex(3)}"
    env = os.environ | {
        "BALLAST_GATEWAY_DATABASE_URL": dsn, "BALLAST_GATEWAY_NATS_URL": nats_url,
        "BALLAST_GATEWAY_BUS_PREFIX": prefix, "BALLAST_GATEWAY_API_PORT": str(port),
        "BALLAST_GATEWAY_HTTP_PORT": str(ops), "BALLAST_GATEWAY_HTTP_HOST": "127.0.0.1",
        "BALLAST_GATEWAY_API_HOST": "127.0.0.1", "BALLAST_GATEWAY_TOKENS_FILE": str(tokens),
        "BALLAST_GATEWAY_LOG_LEVEL": "WARNING",
    }
    log = (work / "gateway.log").open("wb")
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, before anything is measured
        [sys.executable, *PROFILE, "-m", "ballast.gateway"], env=env, stdout=log,
        stderr=subprocess.STDOUT,
    )
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_streams(js, Namespace(prefix))
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            for _ in range(200):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{ops}/readyz") as resp:
                        if resp.status == 200:
                            break
                await asyncio.sleep(0.1)
            for i, symbol in enumerate(SYMBOLS):  # the latest values a client gets first
                await js.publish(f"{prefix}.prices.consensus.{symbol}", consensus(symbol, i))
            url = f"http://127.0.0.1:{port}/api/v1/stream?subjects=prices.consensus.*"
            samples: list[float] = []
            sent: dict[int, float] = {}
            ready: list[int] = []
            start_seq = 1000
            rss0 = rss_mib(proc.pid)
            tasks: list[asyncio.Task[None]] = []
            t_connect = time.perf_counter()
            for _ in range(CLIENTS):
                tasks.append(asyncio.create_task(
                    client(http, url, token, start_seq, samples, sent, ready)))
                if len(tasks) % 50 == 0:
                    await asyncio.sleep(0.05)
            while len(ready) < CLIENTS and time.perf_counter() - t_connect < 60:
                await asyncio.sleep(0.1)
            print(f"  {len(ready)} clients connected in {time.perf_counter() - t_connect:.1f} s;"
                  f" gateway RSS {rss0:.0f} MiB idle -> {rss_mib(proc.pid):.0f} MiB")
            await asyncio.sleep(1.0)
            cpu0, t0 = cpu_seconds(proc.pid), time.perf_counter()
            own0 = cpu_seconds(os.getpid())
            n = int(RATE * SECONDS)
            for k in range(n):
                seq = start_seq + k
                due = t0 + k / RATE
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                symbol = SYMBOLS[k % len(SYMBOLS)]
                data = consensus(symbol, seq)
                sent[seq] = time.perf_counter()
                await js.publish(f"{prefix}.prices.consensus.{symbol}", data)
            expected = n * len(ready)
            deadline = time.perf_counter() + 10
            while len(samples) < expected and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - t0
            cpu = cpu_seconds(proc.pid) - cpu0
            own = cpu_seconds(os.getpid()) - own0
            rss = rss_mib(proc.pid)
            async with http.get(f"http://127.0.0.1:{ops}/metrics") as resp:
                metrics = await resp.text()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        ms = sorted(s * 1000 for s in samples)
        dropped = next((line.split()[1] for line in metrics.splitlines()
                        if line.startswith("ballast_gateway_stream_frames_dropped_total ")), "?")
        print(f"  {n} messages at {RATE:g}/s to {len(ready)} clients over {elapsed:.1f} s")
        print(f"  frames received {len(ms)} of {expected}; delivered {len(ms) / elapsed:,.0f}/s;"
              f" dropped by the gateway {dropped}")
        if ms:
            print(f"  publish -> receive  p50 {pct(ms, 50):.1f} ms  p99 {pct(ms, 99):.1f} ms"
                  f"  max {ms[-1]:.1f} ms   (goal p99 <= 100 ms)")
        print(f"  gateway CPU {cpu / elapsed * 100:.0f}% of one core; RSS {rss:.0f} MiB;"
              f" (the clients' process: {own / elapsed * 100:.0f}%; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    finally:
        await nc.close()
        proc.terminate()
        proc.wait(15)
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await conn.close()


def main() -> None:
    print(f"gateway: {CLIENTS} WebSocket clients on prices.consensus.*, {RATE:g} msg/s, "
          f"{SECONDS:g} s")
    with tempfile.TemporaryDirectory() as tmp, infrastructure(Path(tmp)) as (nats_url, admin):
        asyncio.run(run(nats_url, admin, Path(tmp)))


if __name__ == "__main__":
    main()
