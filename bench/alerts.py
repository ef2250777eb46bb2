"""Alerts benchmark: a fact published -> its notification received by a local webhook.

The whole alerts service runs in-process (build_app: FastStream subscriber, rule engine,
Postgres records/history/outbox in one transaction, alerts.<severity> on JetStream, the delivery
loop woken, apprise json:// POST in its thread pool) with grouping off. Each sample publishes a
ValidatorStatus with `is_jailed` for a new validator (a new alert key, so a new notification)
to JetStream and waits until the webhook has it. Also reports fact -> `alerts.critical` on the
bus. Sequential samples, then a paced burst. Goal (issue #7): p99 <= 50 ms. Figures, not a
verdict.

    .venv/bin/python bench/alerts.py     # NATS_URL else a private nats-server;
                                         # DATABASE_URL (admin) else postgres@127.0.0.1:5432
    BENCH_SAMPLES=500 BENCH_RATE=50 .venv/bin/python bench/alerts.py
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import shutil
import socket
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import nats
from aiohttp import web
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from ballast.alerts.main import build_app
from ballast.alerts.settings import AlertsSettings
from ballast.common.messages import ValidatorStatus
from ballast.common.subjects import Namespace
from ballast.devstack.nats import nats_url_or_private
from ballast.testing.messages import validator_status

SAMPLES = int(os.environ.get("BENCH_SAMPLES", "300"))
RATE = float(os.environ.get("BENCH_RATE", "50"))
BURST_SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def jailed(i: int) -> ValidatorStatus:
    return validator_status("0x" + f"{i:040x}", jailed=True)


class Receiver:
    """The on-call webhook: notes when each validator's notification arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.waiters: dict[str, asyncio.Future[float]] = {}
        self.requests = 0

    async def hook(self, request: web.Request) -> web.Response:
        at = time.perf_counter()
        body = await request.json()
        self.requests += 1
        for line in str(body.get("message", "")).splitlines():
            marker = line.find("operator=0x")
            if marker >= 0:
                operator = line[marker + 9 : marker + 51]
                self.arrived.setdefault(operator, at)
                waiter = self.waiters.pop(operator, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(at)
        return web.Response()


async def run(nats_url: str, database_url: str) -> None:
    receiver = Receiver()
    hook_app = web.Application()
    hook_app.router.add_post("/hook", receiver.hook)
    runner = web.AppRunner(hook_app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()

    prefix = "bench" + secrets.token_hex(3)
    ns = Namespace(prefix)
    settings = AlertsSettings(
        database_url=database_url,  # pyright: ignore[reportArgumentType]
        nats_url=nats_url,
        bus_prefix=prefix,
        http_host="127.0.0.1",
        http_port=0,
        grouping=False,
        fact_batch_size=1,
        log_level="WARNING",
        channels={"critical": [f"json://127.0.0.1:{port}/hook"]},
    )
    app = build_app(settings)
    await app.start()
    logging.getLogger().setLevel(logging.WARNING)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    bus_seen: dict[str, float] = {}

    async def on_alert(msg: Msg) -> None:
        at = time.perf_counter()
        text = msg.data.decode()
        marker = text.find('"operator":"0x')
        if marker >= 0:
            bus_seen.setdefault(text[marker + 12 : marker + 54], at)

    await nc.subscribe(ns.subject("alerts.critical"), cb=on_alert)
    loop = asyncio.get_running_loop()
    try:
        # warm-up: connections, JIT of pydantic validators, apprise import
        for i in range(10):
            await sample(js, ns, receiver, loop, 1_000_000 + i)

        sent: dict[str, float] = {}
        to_hook: list[float] = []
        for i in range(SAMPLES):
            operator, t0, t1 = await sample(js, ns, receiver, loop, i)
            sent[operator] = t0
            to_hook.append(t1 - t0)
        to_bus = [bus_seen[op] - t0 for op, t0 in sent.items() if op in bus_seen]
        report("sequential: fact -> webhook", to_hook)
        report("sequential: fact -> alerts.critical", to_bus)

        # paced burst: facts arrive at RATE/s, notifications overlap in flight
        total = int(RATE * BURST_SECONDS)
        starts: dict[str, float] = {}
        begin = time.perf_counter()
        for i in range(total):
            delay = begin + i / RATE - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            fact = jailed(2_000_000 + i)
            starts[fact.operator_address.lower()] = time.perf_counter()
            await js.publish(ns.subject("validators.status"), fact.model_dump_json().encode())
        async with asyncio.timeout(60):
            while not all(op in receiver.arrived for op in starts):
                await asyncio.sleep(0.01)
        burst = [receiver.arrived[op] - t0 for op, t0 in starts.items()]
        report(f"paced {RATE:g}/s for {BURST_SECONDS:g}s: fact -> webhook", burst)
        print(f"webhook requests in total: {receiver.requests}")
    finally:
        await nc.drain()
        await app.stop()
        await runner.cleanup()


async def sample(
    js: JetStreamContext,
    ns: Namespace,
    receiver: Receiver,
    loop: asyncio.AbstractEventLoop,
    i: int,
) -> tuple[str, float, float]:
    fact = jailed(i)
    operator = fact.operator_address.lower()
    waiter: asyncio.Future[float] = loop.create_future()
    receiver.waiters[operator] = waiter
    t0 = time.perf_counter()
    await js.publish(ns.subject("validators.status"), fact.model_dump_json().encode())
    t1 = await asyncio.wait_for(waiter, 10)
    return operator, t0, t1


def report(what: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(
        f"{what:<48} n={len(ms):<5} p50={percentile(ms, 50):7.2f} ms  "
        f"p99={percentile(ms, 99):7.2f} ms  max={max(ms, default=0):7.2f} ms"
    )


def with_database(admin: str, name: str) -> str:
    parts = urlsplit(admin)
    return urlunsplit(parts._replace(path="/" + name))


async def main() -> None:
    admin = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = "bench_alerts_" + secrets.token_hex(4)
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    workdir = tempfile.mkdtemp(prefix="bench-alerts-nats-")
    try:
        with nats_url_or_private(Path(workdir)) as url:
            print(f"alerts bench: NATS {url}, Postgres database {name}, grouping off")
            print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
            await run(url, with_database(admin, name))
            print("load average after:  {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
