"""Bus subscribers: typed message -> the core (app.py). Nothing else."""

from __future__ import annotations

from faststream.nats import DeliverPolicy

from ballast.common.bus import Bus
from ballast.common.messages import (
    AutomationAction,
    ConsensusPrice,
    InterventionDecision,
    InterventionExecuted,
    StrategyParameterChanged,
    Trade,
)
from ballast.common.subjects import (
    AUTOMATION_EXECUTED,
    GOVERNANCE_PARAMETERS,
    INTERVENTION_DECIDED,
    INTERVENTION_EXECUTED,
    PRICES_CONSENSUS_ALL,
    TRADES_ALL,
)
from ballast.treasury.app import Treasury
from ballast.treasury.parameters import GovernedParams

CONSENSUS_IN_FLIGHT = 256
"""Consensus is pushed (up to this many unacknowledged): a pull with batch 1 cost a fetch round
trip per message and fell behind at 1,000 updates/s; a bigger pull batch makes a lone update wait
for company (bench/path.py)."""


def subscribe(bus: Bus, core: Treasury) -> None:
    @bus.subscriber(
        PRICES_CONSENSUS_ALL, durable="treasury-consensus",
        deliver_policy=DeliverPolicy.LAST_PER_SUBJECT, batch_size=CONSENSUS_IN_FLIGHT,
        push=True,
    )
    async def on_consensus(price: ConsensusPrice) -> None:
        await core.on_consensus(price)

    @bus.subscriber(TRADES_ALL, durable="treasury-trades", batch_size=64)
    async def on_trade(trade: Trade) -> None:
        await core.on_trade(trade)

    @bus.subscriber(INTERVENTION_DECIDED, durable="treasury-decisions")
    async def on_decision(decision: InterventionDecision) -> None:
        await core.on_decision(decision)

    @bus.subscriber(INTERVENTION_EXECUTED, durable="treasury-executions")
    async def on_execution(executed: InterventionExecuted) -> None:
        await core.on_execution(executed)

    @bus.subscriber(AUTOMATION_EXECUTED, durable="treasury-automation")
    async def on_automation(action: AutomationAction) -> None:
        await core.on_automation(action)


def subscribe_parameters(bus: Bus, governed: GovernedParams) -> None:
    """Changes after the start's read (which holds everything before): new messages only."""

    @bus.subscriber(GOVERNANCE_PARAMETERS, durable="treasury-parameters",
                    deliver_policy=DeliverPolicy.NEW)
    async def on_parameter(event: StrategyParameterChanged) -> None:
        await governed.on_changed(event)
