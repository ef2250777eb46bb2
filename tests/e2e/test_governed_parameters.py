"""Issue 21, acceptance: a governance proposal changes `trigger_threshold` on the devnet, passes,
waits out the timelock, executes, and the running intervention service decides with the new
value without a restart. All services as processes (ballast.cli.system.System) on one devnet.

PSTR is held at $0.88 against a 30-day VWAP of $1.00: a 12% drawdown, short of the seed's
trigger (price < 0.85 x VWAP), so the intervention service blocks on the trigger rule. A
Parameter Adjustment proposal then sets trigger_threshold 0.90 and tier 1's drawdown 10% (they
must agree: ballast.strategy.params.check) on StrategyParameters, the timelock's contract; the
deployer's gPSTR votes it through, the 60 s timelock is waited out by anvil time travel, and it
is executed. The contract monitor publishes both changes on governance.parameters; the treasury
and the intervention service apply them (the treasury's states carry the new strategy
fingerprint); at the next price the same drawdown is a tier-1 intervention, decided live, by
the same processes.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from ballast.cli.scenarios.model import SOURCES, Step
from ballast.testing.governance import Governance, parameter_change

E18 = 10**18
CHANGES = {"trigger_threshold": 90 * E18 // 100, "tier1_drawdown": 10 * E18 // 100}


@pytest.fixture
def e2e_overrides() -> dict[str, dict[str, str]]:
    """The intervention path alone (as in test_intervention_path.py)."""
    return {"treasury": {"LIQUIDITY_ACTIONS": "false"},
            "intervention": {"BASKET_ACTIONS": "false"}}


def hold(price: str) -> Step:
    return Step(index=1, at=30, targets={s: {"PSTR": Decimal(price)} for s in SOURCES})


def latest_state(e2e: Any) -> dict[str, Any] | None:
    states = e2e.bus.on("treasury.state")
    return states[-1] if states else None


def decision(e2e: Any, threshold: str, *, price: str | None = None, action: str | None = None,
             ) -> dict[str, Any] | None:
    """The first intervention.decided made with `threshold` (at `price`, with `action`)."""
    for d in e2e.bus.on("intervention.decided"):
        i = d["inputs"]
        if (Decimal(i["trigger_threshold"]) == Decimal(threshold)
                and (price is None or (i["price"] is not None
                                       and abs(Decimal(i["price"]) - Decimal(price)) < 0.005))
                and (action is None or d["action"] == action)):
            return d
    return None


async def start_calm(e2e: Any) -> None:
    """History behind the VWAP, fresh feeds, and a first OK state at tier 0 (see
    test_intervention_path.start_calm)."""
    await e2e.seed_vwap_history()
    await e2e.wait_rows("SELECT count(*) FROM treasury_vwap_trades", 30)
    await e2e.step(e2e.steps("calm", 1)[0])
    await e2e.wait(lambda: (s := latest_state(e2e)) is not None and s["status"] == "OK"
                   and s["tier"] == 0 and s["vwap_30d"] is not None
                   and abs(Decimal(s["vwap_30d"]) - 1) < Decimal("0.01"),
                   60, "treasury.state OK at tier 0 with the 30-day VWAP at $1")


async def test_governance__trigger_threshold_raised__running_intervention_decides_with_it(
    e2e: Any, feeds: Any,
) -> None:
    deployment = e2e.system.deployment
    pids = {name: proc.pid for name, proc in e2e.system.processes.items()}
    await start_calm(e2e)
    with feeds(e2e, hold) as market:
        for price in ("0.94", "0.88"):  # two steps: each under the oracle's 10% jump guard
            await market.move_pstr(price)
        before = await e2e.wait(lambda: decision(e2e, "0.85", price="0.88"), 60,
                                "a decision at PSTR 0.88 under trigger_threshold 0.85")
        assert before["action"] == "blocked"
        assert any(r.startswith("trigger:") for r in before["reasons"]), before["reasons"]
        fingerprint = latest_state(e2e)["strategy_fingerprint"]  # type: ignore[index]

        gov = Governance(e2e.system.anvil, deployment)
        proposal = parameter_change(
            deployment, CHANGES, "Trigger at 90% of the 30-day VWAP, tier 1 from a 10% drawdown")
        async with market.lock:  # no feed update between the votes, the time travel, execute
            pid = await asyncio.to_thread(gov.pass_and_execute, proposal)
        assert gov.state(pid) == "executed"

        def executed_changes() -> list[dict[str, Any]]:
            return [c for c in e2e.bus.on("governance.parameters") if c["old_value"] != 0]

        await e2e.wait(lambda: len(executed_changes()) >= len(CHANGES), 60,
                       "the executed changes on governance.parameters")
        changes = executed_changes()
        assert {c["key"]: c["new_value"] for c in changes} == CHANGES
        await e2e.wait(lambda: (s := latest_state(e2e)) is not None
                       and s["strategy_fingerprint"] != fingerprint, 30,
                       "a treasury.state under the governed parameters")
        # a new price, a new state: decided whether or not the state that carried the new
        # fingerprint reached the intervention service before the changes did
        await market.move_pstr("0.87")
        after = await e2e.wait(lambda: decision(e2e, "0.9", action="act"), 90,
                               "a tier-1 intervention under trigger_threshold 0.9")

    assert after["inputs"]["tier"] == 1 and after["mode"] == "live"
    assert Decimal(after["inputs"]["price"]) < Decimal("0.9")  # 0.88 or 0.87: a 12-13% drawdown
    assert decision(e2e, "0.85", action="act") is None  # the old trigger never fired
    # the same processes throughout: nothing was restarted to pick the value up
    assert {name: proc.pid for name, proc in e2e.system.processes.items()} == pids
    e2e.system.check_alive()
