"""Subscribers: typed message -> the core (app.Decider). Thin (DESIGN.md "Inside a service")."""

from __future__ import annotations

from typing import Any

from faststream.nats import DeliverPolicy

from ballast.common import subjects
from ballast.common.bus import Bus
from ballast.common.messages import (
    AutomationAction,
    AutomationRequest,
    ControlCommand,
    EtfEvent,
    EtfMetrics,
    InterventionDecision,
    InterventionExecuted,
    SafeProposal,
    StrategyParameterChanged,
    TreasuryState,
)
from ballast.intervention.app import Decider

DURABLE_PREFIX = "intervention"


STATES_IN_FLIGHT = 16
"""treasury.state is pushed (at most this many unacknowledged), as the treasury's consensus is:
through a pull consumer a lone state waited about 110 ms now and then (a tenth of the moves of
bench/path.py's 1,000 ticks/s phase, every run after another bench), handled in 2-8 ms once
delivered; pushed, none did (docs/perf/path.md). The durable has a name of its own: a pull
durable cannot become a push one, and a new one starts at new states, which is what states
need (the treasury publishes one on each change and every 5 minutes)."""


def register(bus: Bus, decider: Decider) -> dict[str, Any]:
    """Durable consumers for the four inputs; publishers declared for the AsyncAPI document.

    A new durable consumer starts at new messages for states, metrics and requests (the streams
    keep 30 to 90 days: replaying them would decide on, or buy with, the past); control starts
    at the beginning, so a pause sent before the first start is still in force (the newest
    command wins, approvals apply once). After that, every consumer resumes where it acked.
    """

    @bus.subscriber(
        subjects.TREASURY_STATE,
        f"{DURABLE_PREFIX}_state_push",
        deliver_policy=DeliverPolicy.NEW,
        batch_size=STATES_IN_FLIGHT,
        push=True,
        description="evaluate every rule; record and publish intervention.decided",
    )
    async def on_state(state: TreasuryState) -> None:
        await decider.on_state(state)

    @bus.subscriber(
        subjects.AUTOMATION_REQUESTED_ALL,
        f"{DURABLE_PREFIX}_automation",
        deliver_policy=DeliverPolicy.NEW,
        description="accumulate (hourly budget), rebalance, compound",
    )
    async def on_automation(request: AutomationRequest) -> None:
        await decider.on_automation(request)

    @bus.subscriber(
        subjects.ETF_METRICS,
        f"{DURABLE_PREFIX}_etf",
        deliver_policy=DeliverPolicy.NEW,
        description="StakeBasket rebalance when allocation deviates more than 10%",
    )
    async def on_etf(metrics: EtfMetrics) -> None:
        await decider.on_etf_metrics(metrics)

    @bus.subscriber(
        subjects.etf_event("deposit"),
        f"{DURABLE_PREFIX}_deposits",
        deliver_policy=DeliverPolicy.NEW,
        description="a StakeBasket deposit over large_deposit_usd is staked at once",
    )
    async def on_deposit(event: EtfEvent) -> None:
        await decider.on_deposit(event)

    @bus.subscriber(
        subjects.CONTROL_ALL,
        f"{DURABLE_PREFIX}_control",
        description="pause, resume, approve from operator identities",
    )
    async def on_control(cmd: ControlCommand) -> None:
        await decider.on_control(cmd)

    @bus.subscriber(
        subjects.GOVERNANCE_PARAMETERS,
        f"{DURABLE_PREFIX}_parameters",
        deliver_policy=DeliverPolicy.NEW,
        description="a governance change of a strategy number (all are read from the chain "
        "at start): decided with from then on",
    )
    async def on_parameter(event: StrategyParameterChanged) -> None:
        decider.on_parameter(event)

    bus.publisher(subjects.INTERVENTION_DECIDED, InterventionDecision, "act, or blocked and why")
    bus.publisher(subjects.INTERVENTION_EXECUTED, InterventionExecuted, "terminal outcome")
    bus.publisher(subjects.AUTOMATION_EXECUTED, AutomationAction, "automation outcome")
    bus.publisher(subjects.CUSTODY_PROPOSALS, SafeProposal,
                  "an intervention above the bot's role allowance, proposed to the Safe")
    return {"state": on_state, "automation": on_automation, "etf": on_etf, "control": on_control,
            "deposit": on_deposit, "parameters": on_parameter}
