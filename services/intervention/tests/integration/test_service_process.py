"""`python -m ballast.intervention` as a real process over NATS, Postgres and anvil.

Live mode with a keystore: a treasury.state in, one swap on Uniswap V2 and intervention.decided
plus intervention.executed out. Then the crash hook of the tests' entry point (crash_entry.py:
the same build_app, armed): the process is started with BALLAST_INTERVENTION_CRASH_AT, dies by
SIGKILL there, is started again without it (the real entry point), and the decision ends with
exactly one swap.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
import pytest
from eth_account import Account

from ballast.common import subjects
from ballast.common.messages import (
    DecisionAction,
    ExecutionStatus,
    InterventionDecision,
    InterventionExecuted,
    TreasuryState,
)
from ballast.common.subjects import Namespace


def service_env(harness: Any, database_url: str, nats_url: str, prefix: str,
                tmp: Path, **extra: str) -> dict[str, str]:
    keystore, password = tmp / "keystore.json", tmp / "password"
    keystore.write_text(json.dumps(Account.encrypt(harness.dex.treasury_key, "pw",
                                                   iterations=2)))
    password.write_text("pw\n")
    dex = harness.dex
    values = {
        "DATABASE_URL": database_url, "NATS_URL": nats_url, "BUS_PREFIX": prefix,
        "HTTP_PORT": "0", "MODE": "live", "KEYSTORE_PATH": str(keystore),
        "KEYSTORE_PASSWORD_FILE": str(password), "RPC_URL": dex.node.rpc_url,
        "ROUTER_ADDRESS": dex.router, "PUMP_ADDRESS": dex.pump, "PSTR_ADDRESS": dex.pstr,
        "CONFIRMATIONS": "1", "EXECUTOR_INTERVAL_SECONDS": "0.1", "LOG_LEVEL": "WARNING",
        "HEARTBEAT_INTERVAL_SECONDS": "0.2", **extra,
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("BALLAST_")}
    env.update({f"BALLAST_INTERVENTION_{k}": v for k, v in values.items()})
    return env


CRASH_ENTRY = Path(__file__).parents[1] / "crash_entry.py"


def start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The real entry point, or the crash tests' one when a crash point is set."""
    entry = ([str(CRASH_ENTRY)] if "BALLAST_INTERVENTION_CRASH_AT" in env
             else ["-m", "ballast.intervention"])
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, *entry], env=env, stdout=out, stderr=out
        )


async def wait_exit(proc: subprocess.Popen[bytes], limit: float = 60) -> int:
    for _ in range(int(limit / 0.05)):
        if proc.poll() is not None:
            return proc.returncode
        await asyncio.sleep(0.05)
    proc.kill()
    raise TimeoutError("the service did not exit")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Watch:
    """Plain subscribers on the service's output subjects, and its first heartbeat."""

    def __init__(self) -> None:
        self.decided: asyncio.Queue[InterventionDecision] = asyncio.Queue()
        self.executed: asyncio.Queue[InterventionExecuted] = asyncio.Queue()
        self.ready = asyncio.Event()

    async def subscribe(self, nc: Any, ns: Namespace) -> None:
        async def on_decided(msg: Any) -> None:
            await self.decided.put(InterventionDecision.model_validate_json(msg.data))

        async def on_executed(msg: Any) -> None:
            await self.executed.put(InterventionExecuted.model_validate_json(msg.data))

        async def on_heartbeat(msg: Any) -> None:
            self.ready.set()

        await nc.subscribe(ns.subject(subjects.INTERVENTION_DECIDED), cb=on_decided)
        await nc.subscribe(ns.subject(subjects.INTERVENTION_EXECUTED), cb=on_executed)
        await nc.subscribe(ns.subject(subjects.heartbeat("intervention")), cb=on_heartbeat)


async def run_service(
    harness: Any, database_url: str, nats_url: str, prefix: str, tmp: Path,
    state: TreasuryState, crash_at: str | None, *, live: bool = True,
) -> tuple[InterventionDecision, InterventionExecuted, str]:
    ns = Namespace(prefix)
    nc = await nats.connect(nats_url)
    watch = Watch()
    await watch.subscribe(nc, ns)
    env = service_env(harness, database_url, nats_url, prefix, tmp,
                      **({"CRASH_AT": crash_at} if crash_at else {}))
    if not live:  # the default mode, with a key configured all the same
        env.pop("BALLAST_INTERVENTION_MODE")
    log = tmp / "service.log"
    proc = start(env, log)
    try:
        await asyncio.wait_for(watch.ready.wait(), timeout=30)
        await nc.jetstream().publish(
            ns.subject(subjects.TREASURY_STATE), state.model_dump_json().encode()
        )
        decision = await asyncio.wait_for(watch.decided.get(), timeout=30)
        if crash_at:
            # the first transaction (the router approval) already passes the crash point
            assert await wait_exit(proc) == -signal.SIGKILL
            env.pop("BALLAST_INTERVENTION_CRASH_AT")
            proc = start(env, log)
        outcome = await asyncio.wait_for(watch.executed.get(), timeout=30)
    finally:
        stop(proc)
        await nc.close()
    return decision, outcome, log.read_text()


@pytest.mark.parametrize(
    "crash_at", [None, pytest.param("after_broadcast", marks=pytest.mark.slow)],
    ids=["live", "sigkill_after_broadcast_then_restart"],
)
async def test_service__live_state_in__one_swap_and_both_messages_out(
    harness: Any, database_url: str, nats_server: Any, bus_namespace: str, tmp_path: Path,
    make_state: Callable[..., TreasuryState], crash_at: str | None,
) -> None:
    decision, outcome, log = await run_service(
        harness, database_url, nats_server.url, bus_namespace, tmp_path,
        make_state(datetime.now(UTC)), crash_at,
    )
    assert decision.action is DecisionAction.ACT
    assert outcome.decision_id == decision.decision_id
    assert outcome.status is ExecutionStatus.CONFIRMED, outcome.reason
    assert len(harness.dex.swaps()) == 1
    assert harness.dex.treasury_key[2:] not in log.lower()  # the key never reaches the logs


async def test_service__default_paper_mode_with_a_key_configured__nothing_signed(
    harness: Any, database_url: str, nats_server: Any, bus_namespace: str, tmp_path: Path,
    make_state: Callable[..., TreasuryState],
) -> None:
    dex = harness.dex
    nonce = dex.nonce(dex.treasury)
    decision, outcome, _ = await run_service(
        harness, database_url, nats_server.url, bus_namespace, tmp_path,
        make_state(datetime.now(UTC)), None, live=False,
    )
    assert decision.action is DecisionAction.ACT and decision.mode.value == "dry_run"
    assert outcome.status is ExecutionStatus.DRY_RUN and outcome.amount_out_raw > 0
    assert outcome.tx_hash is None
    assert dex.nonce(dex.treasury) == nonce  # no transaction from the treasury account
    assert dex.swaps() == []


