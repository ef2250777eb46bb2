"""The chaos suite (issue 22): the devnet crash through all seven services while one kind of
fault is injected over and over; at the end, from the chain, Postgres and the bus's streams: no
decision lost, no swap twice, no alert lost, one notification per incident (chaos_checks.py).

Not in `make test` (marked slow): `make chaos` runs it and prints, per fault, runs, recoveries,
time to recover (p50/p99, from the fault's end until every service is ready again and what the
fault broke flows again) and anything lost or doubled. The counts come from the environment:

CHAOS_NATS_KILLS (20)      nats-server SIGKILLed, JetStream on disk with `sync_interval: always`
CHAOS_PG_RESTARTS (5)      the private Postgres restarted: services not ready, then caught up
CHAOS_RPC_OUTAGES (1) x CHAOS_RPC_OUTAGE_SECONDS (60)   the chain RPC unreachable
CHAOS_SERVICE_KILLS (20)   each service SIGKILLed at a random point, that many times
CHAOS_WEBHOOK_OUTAGES (1) x CHAOS_WEBHOOK_OUTAGE_SECONDS (30)   the webhook channel down

The System runs with its own nats-server (durable, as production), a private Postgres (the
session's may be the machine's shared one: it cannot be restarted) and the chain RPC behind a
TcpProxy. The module's fixtures and the run's driver are here; the faults in chaos_faults.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from ballast.cli.scenarios.model import Step
from ballast.devstack.postgres import EmbeddedPostgres
from ballast.testing.pg import with_database

from .chaos_checks import Audit, audit  # noqa: TID252 - sibling helper modules
from .chaos_faults import (  # noqa: TID252
    Figures,
    NatsFault,
    PostgresFault,
    all_ready,
    env_count,
    not_ready,
    pause,
    until,
)
from .test_intervention_path import latest_state, start_calm  # noqa: TID252

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.chaos, pytest.mark.timeout(3600)]

CHAIN_SOURCES = {"chainlink", "pyth_onchain"}
FIGURES = Figures()


def print_figures(title: str) -> None:
    print(f"\n\nchaos figures {title} (time to recover: from the fault's end)")  # noqa: T201
    print("\n".join(FIGURES.rows()))  # noqa: T201
    for note in FIGURES.notes:
        print(f"  {note}")  # noqa: T201


@pytest.fixture(autouse=True)
def _print_figures() -> Iterator[None]:
    """The table so far after each test (a run cut short still reports what it measured)."""
    yield
    if FIGURES.runs:
        print_figures("so far")


@pytest.fixture
def chaos_pg(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    """A Postgres of the test's own (durable settings), which the test may restart."""
    server = EmbeddedPostgres(tmp_path / "pg", settings={"max_connections": "300"})
    server.start(timeout=60)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def database_url(chaos_pg: EmbeddedPostgres) -> str:
    admin = f"postgresql://postgres@127.0.0.1:{chaos_pg.port}/postgres"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute("CREATE DATABASE chaos TEMPLATE template0 ENCODING 'UTF8'")
    finally:
        await conn.close()
    return with_database(admin, "chaos")


@pytest.fixture
def system_options() -> dict[str, Any]:
    return {"durable_bus": True, "proxy_rpc": True}


@pytest.fixture
def e2e_overrides() -> dict[str, dict[str, str]]:
    """The PSTR intervention path alone (as test_intervention_path.py): the treasury account's
    only transactions are the intervention's swaps."""
    return {"treasury": {"LIQUIDITY_ACTIONS": "false"}, "intervention": {"BASKET_ACTIONS": "false"}}


class Holder:
    """Re-applies the market's last step every 3 s (fresh feeds while faults take their time)."""

    def __init__(self, e2e: Any, step: Step) -> None:
        self.e2e, self.step = e2e, step
        self.lock = asyncio.Lock()
        self.task: asyncio.Task[None] | None = None

    async def apply(self, step: Step) -> None:
        async with self.lock:
            self.step = step
            await self.e2e.step(step)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(3)
            await self.apply(self.step)

    @contextlib.asynccontextmanager
    async def holding(self) -> AsyncIterator[Holder]:
        self.task = asyncio.create_task(self._run())
        try:
            yield self
        finally:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


async def drive_crash(e2e: Any, holder: Holder) -> None:
    """The crash, one step at a time; a step's state may be late or unseen while faults run."""
    for step in e2e.steps("crash"):
        await holder.apply(step)
        price = step.price("aggregator", "PSTR")

        async def at_price(p: Decimal | None = price) -> bool:
            s = latest_state(e2e)
            return s is not None and abs(Decimal(s["pstr_price"] or 0) - (p or 0)) < Decimal(
                "0.005"
            )

        with contextlib.suppress(TimeoutError):
            await until(at_price, 45)
        await asyncio.sleep(1)


async def settle(e2e: Any) -> None:
    """Every service ready, every act decision terminal and published, every notification
    delivered, the alerts' bus outbox empty."""

    async def settled() -> bool:
        if not await all_ready(e2e.system):
            return False
        open_ = await e2e.fetch(
            "SELECT count(*) FROM intervention_decisions WHERE action = 'act'"
            " AND (phase NOT IN ('confirmed', 'failed', 'dry_run')"
            " OR published_at IS NULL OR NOT decided_published)"
        )
        pending = await e2e.fetch("SELECT count(*) FROM alerts_outbox WHERE status = 'pending'")
        unsent = await e2e.fetch("SELECT count(*) FROM alerts_bus_outbox WHERE sent_at IS NULL")
        return open_[0][0] == 0 and pending[0][0] == 0 and unsent[0][0] == 0

    # settled twice, 5 s apart: the services keep running, and work that arrives just after a
    # first look (an hourly accumulation the treasury catches up late) is waited for too
    async def settled_twice() -> bool:
        if not await settled():
            return False
        await asyncio.sleep(5)
        return await settled()

    await until(settled_twice, 240)


async def chaos_run(e2e: Any, kind: str, inject: Callable[[], Awaitable[None]]) -> Audit:
    """Calm, then the crash with `inject()` running beside it; settle; the end checks."""
    await start_calm(e2e)
    async with Holder(e2e, e2e.steps("calm", 1)[0]).holding() as holder:
        faults = asyncio.create_task(inject())
        try:
            await drive_crash(e2e, holder)
            await faults
        finally:
            faults.cancel()
        await settle(e2e)
    found = await audit(e2e, e2e.webhook.ids)
    FIGURES.lost[kind] += sum(found.lost.values())
    FIGURES.doubled[kind] += sum(found.doubled.values())
    FIGURES.notes.append(f"{kind}: {found.summary()}")
    FIGURES.notes.extend(f"{kind}: {d}" for d in found.details)
    return found


def assert_clean(found: Audit, kind: str) -> None:
    assert found.confirmed >= 1, f"no intervention confirmed: {found.summary()}"
    assert sum(found.lost.values()) == 0, found.summary() + "\n" + "\n".join(found.details)
    assert sum(found.doubled.values()) == 0, found.summary() + "\n" + "\n".join(found.details)
    times = FIGURES.recovered.get(kind, [])
    assert len(times) == FIGURES.runs[kind], (
        f"{kind}: recovered {len(times)} of {FIGURES.runs[kind]}"
    )


def consensus_since(e2e: Any, mark: int) -> list[dict[str, Any]]:
    return [b for s, b, _ in e2e.bus.seen[mark:] if s == "prices.consensus.PSTR"]


def observed_since(e2e: Any, mark: int) -> bool:
    """A price reading the oracle published after `mark` reached the observer: the bus carries
    again. (Not the consensus: it is published on a change or a 30 s heartbeat, so once the
    scenario's prices stop moving it would measure the heartbeat, not the recovery.)"""
    return any(s.startswith("prices.observed.") for s, _, _ in e2e.bus.seen[mark:])


async def recover(
    kind: str, probe: Callable[[], Awaitable[bool]], missing: Callable[[], str] = str
) -> None:
    """Time `probe` until it holds; past the limit, note what `missing()` says was missing."""
    try:
        FIGURES.recovery(kind, await until(probe))
    except TimeoutError:
        FIGURES.notes.append(f"{kind}: not recovered within the limit {missing()}")


async def test_chaos__nats_server_killed__nothing_lost_or_doubled(e2e: Any) -> None:
    kind, system = "nats-server SIGKILL", e2e.system
    fault = NatsFault(system)
    system._infra.callback(fault.stop)  # noqa: SLF001 - after the services stop

    async def inject() -> None:
        for _ in range(env_count("CHAOS_NATS_KILLS", 20)):
            await pause(2, 6)
            FIGURES.ran(kind)
            await asyncio.to_thread(fault.kill)
            await pause(0.2, 2)
            await asyncio.to_thread(fault.start)
            mark = len(e2e.bus.seen)

            async def flowing(m: int = mark) -> bool:
                return observed_since(e2e, m) and await all_ready(system)

            await recover(kind, flowing)

    assert_clean(await chaos_run(e2e, kind, inject), kind)


# what the services write all the time: the oracle's observations (every source, every poll);
# the treasury's snapshots come on a consensus change or its 5-minute cycle, so once the
# scenario's prices stop moving they would time the cycle, not the recovery
WRITTEN = "SELECT count(*) FROM oracle_observations"


async def test_chaos__postgres_restarted__not_ready_then_caught_up(
    e2e: Any, chaos_pg: EmbeddedPostgres
) -> None:
    kind, system, fault = "postgres restart", e2e.system, PostgresFault(chaos_pg)
    stayed_ready: list[set[str]] = []

    async def inject() -> None:
        for _ in range(env_count("CHAOS_PG_RESTARTS", 5)):
            await pause(3, 8)
            FIGURES.ran(kind)
            before = (await e2e.fetch(WRITTEN))[0][0]
            await asyncio.to_thread(fault.stop)
            seen_down: set[str] = set()
            down_until = time.monotonic() + random.uniform(3, 6)
            while time.monotonic() < down_until:
                seen_down |= await not_ready(system)
                await asyncio.sleep(0.2)
            stayed_ready.append(set(system.processes) - seen_down)
            await asyncio.to_thread(fault.start)

            state: dict[str, object] = {}

            async def caught_up(n: int = before, seen: dict[str, object] = state) -> bool:
                seen["not ready"] = sorted(await not_ready(system))
                if seen["not ready"]:
                    return False
                seen["written"] = (await e2e.fetch(WRITTEN))[0][0] - n
                return int(seen["written"]) > 0  # pyright: ignore[reportArgumentType]

            await recover(kind, caught_up, lambda seen=state: str(seen))

    found = await chaos_run(e2e, kind, inject)
    FIGURES.notes.append(
        f"{kind}: services that stayed ready while Postgres was down: "
        f"{[sorted(s) for s in stayed_ready]}"
    )
    assert_clean(found, kind)
    assert all(not s for s in stayed_ready), stayed_ready


async def test_chaos__chain_rpc_unreachable__sources_down_nothing_acts_then_resumes(
    e2e: Any,
) -> None:
    kind, system = "chain RPC outage", e2e.system
    outage = env_count("CHAOS_RPC_OUTAGE_SECONDS", 60)
    during: list[tuple[str, dict[str, Any]]] = []

    async def inject() -> None:
        for _ in range(env_count("CHAOS_RPC_OUTAGES", 1)):
            await pause(3, 8)
            FIGURES.ran(kind)
            mark = len(e2e.bus.seen)
            system.rpc_proxy.cut()
            await asyncio.sleep(outage)
            during.extend((s, b) for s, b, _ in e2e.bus.seen[mark:])
            system.rpc_proxy.restore()
            back = len(e2e.bus.seen)

            async def resumed(m: int = back) -> bool:
                # each chain source read again (not the consensus using them: it is published on
                # a change or a 30 s heartbeat, so it would time the heartbeat)
                read = {s.split(".")[2] for s, _, _ in e2e.bus.seen[m:]
                        if s.startswith("prices.observed.") and s.endswith(".PSTR")}
                return read >= CHAIN_SOURCES and await all_ready(system)

            await recover(kind, resumed)

    found = await chaos_run(e2e, kind, inject)
    consensus = [b for s, b in during if s == "prices.consensus.PSTR"]
    late = consensus[len(consensus) // 2 :]  # past the sources' staleness allowance
    used_chain = [
        c for c in late if {s["source"] for s in c["sources"] if s["used"]} & CHAIN_SOURCES
    ]
    acted = [b for s, b in during if s == "intervention.decided" and b["action"] == "act"]
    executed = [b for s, b in during if s == "intervention.executed"]
    statuses = sorted({c["status"] for c in late})
    FIGURES.notes.append(
        f"{kind}: during the outage {len(consensus)} PSTR consensus "
        f"(statuses late in it {statuses}), {len(used_chain)} late ones using"
        f" a chain source, {len(acted)} act decisions "
        f"{[a['decision_id'] for a in acted]}, {len(executed)} executed"
    )
    assert_clean(found, kind)
    assert consensus and not used_chain, used_chain[:2]  # the chain sources marked down
    sent = [b["decision_id"] for b in executed if b.get("tx_hash")]
    assert sent == [], sent  # nothing sent while the chain could not be read (an expiry may end)
    assert acted_on_stale_states(during) == []
    # and nothing decided during it was sent once the chain came back: it expired unsigned
    during_ids = {a["decision_id"] for a in acted}
    sent_late = [b["decision_id"] for s, b, _ in e2e.bus.seen if s == "intervention.executed"
                 and b["decision_id"] in during_ids and b.get("tx_hash")]
    assert sent_late == [], sent_late


def acted_on_stale_states(messages: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Act decisions taken on a treasury.state that was not OK (inputs past their staleness
    limits): what would be acting on old data."""
    state, wrong = None, []
    for subject, body in messages:
        if subject == "treasury.state":
            state = body
        elif (
            subject == "intervention.decided"
            and body["action"] == "act"
            and (state is not None and state["status"] != "OK")
        ):
            wrong.append(body["decision_id"])
    return wrong


async def test_chaos__each_service_killed_at_random_points__nothing_lost_or_doubled(
    e2e: Any,
) -> None:
    system = e2e.system
    names = list(system.processes)
    ALL = "SIGKILL (all)"  # noqa: N806

    async def inject() -> None:
        for _ in range(env_count("CHAOS_SERVICE_KILLS", 20)):
            for name in random.sample(names, len(names)):
                await pause(0.5, 4)
                kind = f"SIGKILL {name}"
                FIGURES.ran(kind)
                FIGURES.ran(ALL)
                await asyncio.to_thread(system.kill, name)
                started = time.monotonic()
                await asyncio.to_thread(system.start_service, name)
                try:
                    await until(lambda n=name: all_ready(system, [n]))
                    FIGURES.recovery(kind, time.monotonic() - started)
                    FIGURES.recovery(ALL, time.monotonic() - started)
                except TimeoutError:
                    FIGURES.notes.append(f"{kind}: not ready again within the limit")

    found = await chaos_run(e2e, ALL, inject)
    for name in [*names, "(all)"]:
        assert_clean(found, f"SIGKILL {name}")


async def test_chaos__webhook_channel_down__every_notification_once(e2e: Any) -> None:
    kind, system = "webhook down", e2e.system
    outage = env_count("CHAOS_WEBHOOK_OUTAGE_SECONDS", 30)

    async def inject() -> None:
        for _ in range(env_count("CHAOS_WEBHOOK_OUTAGES", 1)):
            await pause(0, 3)  # the crash's pages fall in the outage
            FIGURES.ran(kind)
            await e2e.webhook.stop()
            await asyncio.sleep(outage)
            await e2e.webhook.start()  # the same port

            async def delivered() -> bool:
                pending = await e2e.fetch(
                    "SELECT count(*) FROM alerts_outbox WHERE status = 'pending'"
                )
                return pending[0][0] == 0 and await all_ready(system)

            await recover(kind, delivered)

    assert_clean(await chaos_run(e2e, kind, inject), kind)
