"""The validator monitor against the Core stand-ins on anvil, real NATS and Postgres.

Each scenario of issue #9 (misdemeanor threshold crossed, jailed then released, commission
change, round turn, our delegation change) must produce the right `validators.status` and the
right recommendation exactly once, also when the poll runs again.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import nats
import pytest

from ballast.testing.pg import connected
from ballast.validator_monitor.main import ValidatorMonitorApp

E18 = 10**18
# the fixtures' types live in ../conftest.py (CoreChain, Bus); conftest modules are not importable
# under --import-mode=importlib, hence Any
CoreChain = Bus = Any


async def settle(bus: Bus, expected: int, within: float = 5.0) -> None:
    """Wait until the core subscription has delivered `expected` facts in all."""
    async with asyncio.timeout(within):
        while len(bus.statuses) + len(bus.recommendations) < expected:
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # and let any stray one arrive, for the counts that follow


async def poll_twice(app: ValidatorMonitorApp, bus: Bus, core: CoreChain) -> None:
    """A poll, the same poll decided again from the same state (as after a crash before the
    state was kept), then a poll at a later block with nothing new: only the first publishes."""
    before = app.core.state
    total = len(bus.statuses) + len(bus.recommendations)
    first = await app.core.poll()
    published = first.statuses + first.recommendations
    await settle(bus, total + published)
    app.core.state = before
    replay = await app.core.poll()
    assert (replay.block, replay.statuses, replay.recommendations) == (first.block, 0, 0)
    assert replay.duplicates == published
    core.anvil.mine(1)
    later = await app.core.poll()
    assert (later.statuses, later.recommendations) == (0, 0)
    await settle(bus, total + published)
    assert len(bus.statuses) + len(bus.recommendations) == total + published


async def started(monitor_app: Any, bus: Bus, **overrides: Any) -> ValidatorMonitorApp:
    app: ValidatorMonitorApp = await monitor_app(**overrides)
    result = await app.core.poll()
    await settle(bus, result.statuses + result.recommendations)
    bus.clear()
    return app


@pytest.mark.parametrize("multicall", [True, False], ids=["multicall3", "one_call_each"])
async def test_monitor__first_poll__one_epoch_status_per_validator_with_views_decoded(
    core: CoreChain, bus: Bus, monitor_app: Any, multicall: bool
) -> None:
    core.delegate(1, 5 * E18)
    core.set_income(0, 7 * E18)
    core.set_missed(2, 12)
    app: ValidatorMonitorApp = await monitor_app(use_multicall=multicall)
    await poll_twice(app, bus, core)

    assert app.chain.calls.batching is multicall
    assert sorted(s.operator_address for s in bus.statuses) == sorted(core.ops)
    by_op = {s.operator_address: s for s in bus.statuses}
    a, b, c = (by_op[op] for op in core.ops)
    assert a.status_bits == 17 and a.is_candidate and a.is_validator and not a.is_jailed
    assert a.consensus_address == core.cons[0] and a.round == core.round
    assert a.commission_thousandths == 100 and a.income_raw == 7 * E18
    assert (a.misdemeanor_threshold, a.felony_threshold) == (50, 150)
    assert b.our_delegation_raw == 5 * E18 and a.our_delegation_raw == 0
    assert c.missed_blocks == 12 and c.score == 3000 * E18
    assert all(s.changes == [] for s in bus.statuses)
    assert bus.recommendations == []
    async with aiohttp.ClientSession() as http, http.get(
        f"http://127.0.0.1:{app.service.ops.bound_port}/metrics"
    ) as reply:
        scraped = await reply.text()
    for line in (
        f'ballast_validator_status_flag{{flag="validator",operator="{core.ops[0]}"}} 1.0',
        f'ballast_validator_status_flag{{flag="jailed",operator="{core.ops[0]}"}} 0.0',
        f'ballast_validator_our_delegation_wei{{operator="{core.ops[1]}"}} 5e+18',
        f'ballast_validator_missed_blocks{{operator="{core.ops[2]}"}} 12.0',
        f'ballast_validator_commission_thousandths{{operator="{core.ops[0]}"}} 100.0',
        'ballast_validator_monitor_threshold{kind="misdemeanor"} 50.0',
    ):
        assert line in scraped, line


async def test_monitor__misdemeanor_threshold_crossed__one_status_and_move_away_once(
    core: CoreChain, bus: Bus, monitor_app: Any
) -> None:
    core.set_missed(0, 39)
    core.set_income(0, 3 * E18)
    app = await started(monitor_app, bus)
    core.slash(0, 11)  # 39 -> 50: SlashIndicator calls ValidatorSet.misdemeanor
    await poll_twice(app, bus, core)

    [status] = bus.statuses
    assert status.operator_address == core.ops[0]
    assert set(status.changes) == {"misdemeanor", "missed_blocks_increased",
                                   "missed_blocks_near_threshold"}
    assert status.missed_blocks == 50 and status.income_raw == 0  # the round's income forfeited
    [rec] = bus.recommendations
    assert (rec.operator_address, rec.action.value, rec.reasons) == (
        core.ops[0], "move_away", ["missed_blocks_rising"])


async def test_monitor__jailed_then_released_at_round_turn__move_away_then_hold_once_each(
    core: CoreChain, bus: Bus, monitor_app: Any
) -> None:
    app = await started(monitor_app, bus)
    release = core.round + 1
    core.jail(0, release)
    await poll_twice(app, bus, core)

    [jailed] = bus.statuses
    assert jailed.operator_address == core.ops[0]
    assert jailed.changes == ["status_changed", "jailed"]
    assert jailed.is_jailed and jailed.jailed_until_round == release and jailed.status_bits == 21
    [rec] = bus.recommendations
    assert (rec.action.value, rec.reasons) == ("move_away", ["jailed"])
    bus.clear()

    core.turn_round()  # CandidateHub releases jails ending this round
    await poll_twice(app, bus, core)
    [released] = bus.of(core.ops[0])
    assert {"round_turned", "released"} <= set(released.changes)
    assert not released.is_jailed and released.jailed_until_round is None
    assert released.round == release
    [rec] = bus.recommendations
    assert (rec.operator_address, rec.action.value, rec.reasons) == (core.ops[0], "hold", [])


async def test_monitor__commission_changes__one_status_flagged_and_no_recommendation(
    core: CoreChain, bus: Bus, monitor_app: Any
) -> None:
    app = await started(monitor_app, bus)
    core.set_commission(1, 150)
    await poll_twice(app, bus, core)

    [status] = bus.statuses
    assert status.operator_address == core.ops[1] and status.changes == ["commission_changed"]
    assert status.commission_thousandths == 150 and status.commission_changed
    assert bus.recommendations == []


async def test_monitor__round_turns__one_status_per_validator_and_apy_from_last_round(
    core: CoreChain, bus: Bus, monitor_app: Any
) -> None:
    core.delegate(0, 10 * E18)
    app = await started(monitor_app, bus)
    core.set_income(0, E18 // 100)  # income of the round about to end: 0.01 CORE
    await app.core.poll()
    before = core.round
    core.turn_round()
    await poll_twice(app, bus, core)

    turned = bus.with_change("round_turned")
    assert sorted(s.operator_address for s in turned) == sorted(core.ops)
    assert len(bus.statuses) == 3 and all(s.round == before + 1 for s in turned)
    a = bus.of(core.ops[0])[0]
    # CoreAgent.candidateMap gives the 10 CORE delegated: 0.01 CORE * 0.9 (10% commission)
    # / 10 CORE = 0.09% a round, compounded daily for a year.
    assert a.estimated_apy is not None
    assert abs(float(a.estimated_apy) - (1.0009**365 - 1)) < 1e-6
    assert a.total_delegated_raw == 10 * E18
    assert bus.recommendations == []
    our = app.service.registry.get_sample_value("ballast_validator_monitor_our_apy")
    assert our is not None and abs(our - float(a.estimated_apy)) < 1e-9


async def test_monitor__our_delegation_changes__one_status_each_time(
    core: CoreChain, bus: Bus, monitor_app: Any
) -> None:
    app = await started(monitor_app, bus)
    core.delegate(2, 4 * E18)
    await poll_twice(app, bus, core)
    [up] = bus.statuses
    assert up.operator_address == core.ops[2] and up.changes == ["our_delegation_changed"]
    assert up.our_delegation_raw == 4 * E18
    bus.clear()

    core.delegate(2, E18)
    core.undelegate(2, E18)  # back where it was: only the logs show it happened
    await poll_twice(app, bus, core)
    [flicker] = bus.statuses
    assert flicker.changes == ["our_delegation_changed"] and flicker.our_delegation_raw == 4 * E18
    bus.clear()

    core.transfer(2, 0, 3 * E18)  # CoreAgent.transferCoin: both candidates change
    await poll_twice(app, bus, core)
    moved = {s.operator_address: s.our_delegation_raw for s in bus.statuses}
    assert moved == {core.ops[2]: E18, core.ops[0]: 3 * E18}
    assert bus.recommendations == []


async def test_monitor__felony__jailed_out_of_the_set_and_move_away_once(
    core: CoreChain, bus: Bus, monitor_app: Any
) -> None:
    core.set_missed(1, 149)
    app = await started(monitor_app, bus)
    core.slash(1, 1)  # 150: felony -> ValidatorSet drops it, CandidateHub jails it
    await poll_twice(app, bus, core)

    [status] = bus.statuses
    assert status.operator_address == core.ops[1]
    assert {"felony", "jailed", "margin_low", "status_changed"} <= set(status.changes)
    # the felony fine (1,000 CORE) takes the 10,000 CORE margin below the required margin
    assert status.status_bits == 1 | 4 | 8 | 16 and status.is_margin_low
    assert status.is_jailed and status.missed_blocks == 0
    assert status.jailed_until_round == core.round + 2  # felonyRound
    [rec] = bus.recommendations
    assert (rec.action.value, rec.reasons) == ("move_away", ["jailed", "margin_low"])


async def test_monitor__confirmations__change_seen_only_once_deep_enough(
    core: CoreChain, bus: Bus, monitor_app: Any
) -> None:
    app = await started(monitor_app, bus, confirmations=2)
    core.jail(1, core.round + 3)
    early = await app.core.poll()  # reads 2 blocks behind the jail's
    assert early.block == core.w3.eth.block_number - 2 and early.statuses == 0
    await settle(bus, 0)
    assert bus.statuses == []
    core.anvil.mine(2)
    await poll_twice(app, bus, core)
    assert [s.changes for s in bus.statuses] == [["status_changed", "jailed"]]


async def test_monitor__restart_after_a_change__state_from_postgres_and_no_repeat(
    core: CoreChain, bus: Bus, monitor_app: Any, database_url: str, nats_server: Any,
    bus_namespace: str,
) -> None:
    app = await started(monitor_app, bus)
    core.jail(0, core.round + 2)
    await app.core.poll()
    await app.stop()
    await settle(bus, 2)
    assert len(bus.statuses) == 1 and len(bus.recommendations) == 1

    again: ValidatorMonitorApp = await monitor_app()
    await poll_twice(again, bus, core)
    assert len(bus.statuses) == 1 and len(bus.recommendations) == 1
    core.set_commission(0, 200)
    await poll_twice(again, bus, core)
    assert [s.changes for s in bus.statuses][-1] == ["commission_changed"]

    async with connected(database_url) as conn:
        events = await conn.fetch("SELECT event, operator FROM validator_events ORDER BY block")
        rows = await conn.fetchval("SELECT count(*) FROM validator_rounds")
        facts = await conn.fetchval("SELECT count(*) FROM validator_facts")
    assert ("statusChanged", core.ops[0]) in [(e["event"], e["operator"]) for e in events]
    assert rows == 3
    assert facts == len(bus.statuses) + len(bus.recommendations) + 3  # + the first epoch's
    nc = await nats.connect(nats_server.url)
    try:
        info = await nc.jetstream().stream_info(f"{bus_namespace.upper()}_CHAIN")
    finally:
        await nc.close()
    assert info.state.messages == facts  # the stream holds each fact once
