"""Crash matrix: SIGKILL at every named point, restart, and exactly one swap per decision.

Each "life" of the service is a real child process (os.fork of the test process, so the 1.5 s of
imports is paid once, not per life) running the same Decider and Executor code as the service,
against the same real Postgres, NATS JetStream and anvil with Uniswap V2. A life started with a
crash point kills itself with SIGKILL there (ballast.testing.crashing.crash_hook, the hook
the tests' entry point takes from BALLAST_INTERVENTION_CRASH_AT); the next life is started
without one, receives the same treasury.state again (as JetStream redelivers an unacked
message), and must finish the job. After every run: one Swap on-chain for the decision, its
record confirmed and published, and exactly one intervention.decided and one
intervention.executed for it in the stream.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import nats
import pytest
from nats.js import JetStreamContext

from ballast.common import subjects
from ballast.common.bus import ensure_streams
from ballast.common.messages import (
    ExecutionMode,
    ExecutionStatus,
    InterventionDecision,
    InterventionExecuted,
    Message,
    TreasuryState,
)
from ballast.common.subjects import Namespace
from ballast.intervention.adapters.chain import Chain
from ballast.intervention.adapters.lease import PgLease
from ballast.intervention.adapters.repository import Repository
from ballast.intervention.app import Decider
from ballast.intervention.domain.execution import Phase
from ballast.intervention.executor import Executor
from ballast.strategy.policy import Policy
from ballast.testing.crashing import crash_hook, no_crash
from ballast.testing.forking import fork, wait

POINTS = ("after_decision_commit", "after_sign_persist", "after_broadcast", "after_receipt",
          "before_publish")
BASE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class JsPublish:
    """Bus.publish on the wire: JetStream publish with Nats-Msg-Id, awaiting the stream ack."""

    def __init__(self, js: JetStreamContext, ns: Namespace) -> None:
        self.js, self.ns = js, ns

    async def __call__(self, payload: Message, subject: str, *, msg_id: str | None = None) -> None:
        headers = {"Nats-Msg-Id": msg_id} if msg_id else None
        await self.js.publish(
            self.ns.subject(subject), payload.model_dump_json().encode(), headers=headers
        )


@dataclass(frozen=True)
class Delivery:
    """A treasury.state as the service receives it, and the clock at that moment."""

    state: TreasuryState
    now: datetime

    @property
    def decision_id(self) -> str:
        return f"pstr-{self.now:%Y%m%d}-0"


async def life(
    harness: Any,
    database_url: str,
    nats_url: str,
    ns: Namespace,
    *,
    redelivered: Delivery | None,
    new: Delivery | None,
    crash_at: str | None,
    use_lease: bool = True,
) -> int:
    """One run of the service process, as after a restart: take the lease, receive again the
    state the previous life did not ack, finish what the record says is open, then receive a
    new state and execute it (armed with the crash point, if any)."""
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    nc = await nats.connect(nats_url)
    chain = Chain(harness.dex.node.rpc_url)
    lease = PgLease(database_url)
    try:
        if use_lease:
            while not await lease.acquire():
                await asyncio.sleep(0.01)
        repo = Repository(pool)
        publish = JsPublish(nc.jetstream(), ns)

        async def handle(delivery: Delivery, crash: Callable[[str], None]) -> bool:
            decider = Decider(repo, Policy(), ExecutionMode.LIVE, publish,
                              clock=lambda: delivery.now, crash=crash)
            await decider.on_state(delivery.state)
            return await settle(Executor(repo, chain, harness.signer, publish, harness.config,
                                         crash=crash))

        async def settle(executor: Executor) -> bool:
            # the service ticks every executor_interval_seconds; here a short pause between
            # passes (anvil may answer a receipt lookup just before it has mined the block)
            for _ in range(100):
                await executor.run_once()
                if not await repo.open_executions():
                    return True
                await asyncio.sleep(0.02)
            return False

        if redelivered is not None:
            if not await handle(redelivered, no_crash):
                return 3
        elif not await settle(Executor(repo, chain, harness.signer, publish, harness.config)):
            return 3
        if new is not None and not await handle(new, crash_hook(crash_at)):
            return 4
        return 0
    finally:
        await lease.release()
        await chain.close()
        await nc.close()
        await pool.close()


async def stream_counts(
    js: JetStreamContext, ns: Namespace, subject: str, key: str
) -> Counter[str]:
    """How many messages the stream holds on `subject`, per value of payload field `key`."""
    sub = await js.subscribe(ns.subject(subject), ordered_consumer=True)
    counts: Counter[str] = Counter()
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=0.3)
            except TimeoutError:
                break
            payload = (InterventionExecuted if subject == subjects.INTERVENTION_EXECUTED
                       else InterventionDecision).model_validate_json(msg.data)
            counts[str(getattr(payload, key))] += 1
    finally:
        await sub.unsubscribe()
    return counts


async def run_matrix(
    harness: Any, database_url: str, nats_url: str, bus_namespace: str, runs: int,
    make_state: Callable[..., TreasuryState],
) -> dict[str, dict[str, float]]:
    ns = Namespace(bus_namespace)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_streams(js, ns)
    dex = harness.dex
    # warm-up life: the first decision also approves the router once
    warm = Delivery(make_state(BASE - timedelta(days=10)), BASE - timedelta(days=10))
    assert await wait(fork(lambda: life(harness, database_url, nats_url, ns, redelivered=None,
                                         new=warm, crash_at=None))) == 0
    figures: dict[str, dict[str, float]] = {}
    decisions: list[str] = []
    previous: Delivery | None = None
    day = 0
    for point in POINTS:
        killed = 0
        started = time.perf_counter()
        for _ in range(runs):
            now = BASE + timedelta(days=3 * day)
            day += 1
            current = Delivery(make_state(now), now)
            code = await wait(fork(lambda p=previous, c=current, k=point: life(
                harness, database_url, nats_url, ns, redelivered=p, new=c, crash_at=k)))
            killed += code == -signal.SIGKILL
            assert code in (0, -signal.SIGKILL), f"life crashing at {point} exited {code}"
            decisions.append(current.decision_id)
            previous = current
        elapsed = time.perf_counter() - started
        figures[point] = {"runs": runs, "killed": killed, "seconds_per_run": elapsed / runs}
        assert killed == runs, f"{point}: only {killed}/{runs} lives reached the crash point"
    last = await wait(fork(lambda: life(harness, database_url, nats_url, ns,
                                         redelivered=previous, new=None, crash_at=None)))
    assert last == 0
    # -------------------------------------------------------------- one swap per decision
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        rows = await pool.fetch(
            "SELECT decision_id, tx_hash FROM intervention_txs WHERE decision_id LIKE 'pstr-%'"
        )
        by_hash = {r["tx_hash"].lower(): r["decision_id"] for r in rows}
        repo = Repository(pool)
        for decision_id in decisions:
            record = await repo.load(decision_id)
            assert record.execution.phase is Phase.CONFIRMED, (decision_id, record.execution)
            assert record.execution.published
            assert len(record.execution.attempts) == 1  # never re-signed
    finally:
        await pool.close()
    swaps = Counter(by_hash.get("0x" + bytes(log["transactionHash"]).hex().removeprefix("0x"),
                                "?") for log in dex.swaps())
    assert all(swaps[d] == 1 for d in decisions), swaps
    assert sum(swaps.values()) == len(decisions) + 1  # plus the warm-up decision
    executed = await stream_counts(js, ns, subjects.INTERVENTION_EXECUTED, "decision_id")
    decided = await stream_counts(js, ns, subjects.INTERVENTION_DECIDED, "decision_id")
    await nc.close()
    assert all(executed[d] == 1 for d in decisions), executed
    assert all(decided[d] == 1 for d in decisions), decided
    return figures


@pytest.mark.parametrize("runs", [20, pytest.param(200, marks=pytest.mark.slow)])
async def test_crash_matrix__sigkill_at_each_point_n_runs__one_swap_per_decision_none_lost(
    harness: Any, database_url: str, nats_server: Any, bus_namespace: str,
    make_state: Callable[..., TreasuryState], runs: int,
) -> None:
    figures = await run_matrix(harness, database_url, nats_server.url, bus_namespace, runs,
                               make_state)
    assert set(figures) == set(POINTS)
    report(figures)


def report(figures: dict[str, dict[str, float]]) -> None:
    for point, f in figures.items():
        print(f"crash matrix {point}: {int(f['killed'])}/{int(f['runs'])} killed and recovered, "
              f"{f['seconds_per_run'] * 1000:.0f} ms per run")


async def test_two_executor_processes_at_once__without_lease__one_swap(
    harness: Any, database_url: str, nats_server: Any, bus_namespace: str,
    make_state: Callable[..., TreasuryState],
) -> None:
    ns = Namespace(bus_namespace)
    nc = await nats.connect(nats_server.url)
    await ensure_streams(nc.jetstream(), ns)
    await nc.close()
    warm = Delivery(make_state(BASE - timedelta(days=10)), BASE - timedelta(days=10))
    assert await wait(fork(lambda: life(harness, database_url, nats_server.url, ns,
                                         redelivered=None, new=warm, crash_at=None))) == 0
    dex = harness.dex
    before = len(dex.swaps())
    now = BASE
    for i in range(5):
        now = BASE + timedelta(days=3 * i)
        delivery = Delivery(make_state(now), now)
        pids = [fork(lambda d=delivery: life(harness, database_url, nats_server.url, ns,
                                             redelivered=None, new=d, crash_at=None,
                                             use_lease=False))
                for _ in range(2)]
        codes = [await wait(pid) for pid in pids]
        assert codes == [0, 0]
    record = await harness.repo.load(f"pstr-{now:%Y%m%d}-0")
    assert record.execution.phase is Phase.CONFIRMED
    assert len(dex.swaps()) == before + 5
    outcome = InterventionExecuted.model_validate(record.outcome)
    assert outcome.status is ExecutionStatus.CONFIRMED


async def test_lease__two_holders__only_one_at_a_time(database_url: str) -> None:
    first, second = PgLease(database_url), PgLease(database_url)
    try:
        assert await first.acquire()
        assert not await second.acquire()
        await first.release()
        assert await second.acquire()
    finally:
        await first.release()
        await second.release()

