"""Actions of several transactions, each leg exactly once (issue #18): the machinery they share.

The action (the parent row) sends nothing itself. Each leg is its own execution row, id
`<action>.<leg>`, driven by the same exactly-once machinery as a swap (nonce, signed bytes
persisted before broadcast, receipt, confirmation). A leg is created only when the one before
it is confirmed: a process killed between two legs finds the earlier one confirmed on restart
and creates the next under the same id, so nothing is done twice. A leg that is not needed is
recorded as skipped, so a restart does not reconsider it.

The action is published once, as one `automation.executed`, when its last leg is confirmed (or
as failed with the failing leg's reason), with each leg's transaction hash and gas.

Two kinds of action use it: the liquidity actions (legs.py) and the StakeBasket's asset
rebalance (asset_legs.py); each says what its legs are and how each is sized.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from ballast.common.messages import (
    AutomationAction,
    AutomationKind,
    ExecutionMode,
    ExecutionStatus,
)
from ballast.intervention.adapters.repository import Record
from ballast.intervention.domain.execution import TERMINAL, Phase
from ballast.intervention.domain.record import ExecKind

if TYPE_CHECKING:
    from ballast.intervention.building import ExecConfig
    from ballast.intervention.executor import Executor


@dataclass(frozen=True)
class LegSpec:
    amount_in_raw: int
    details: dict[str, str]
    skipped: str | None = None


@dataclass
class Progress:
    """The confirmed legs of one action, in order."""

    legs: dict[str, Record] = field(default_factory=dict[str, Record])


def leg_id(action_id: str, leg: str) -> str:
    return f"{action_id}.{leg}"


def moved(record: Record, token: str) -> tuple[int, int]:
    """(sent, received) of `token` by a confirmed leg, from its outcome."""
    details = (record.outcome or {}).get("details", {})
    key = token.lower()
    return int(details.get(f"sent:{key}", 0)), int(details.get(f"recv:{key}", 0))


def leg_details(record: Record) -> dict[str, Any]:
    """A confirmed leg's outcome details."""
    return dict((record.outcome or {}).get("details", {}))


class Legged:
    """Moves one action of several legs forward. A subclass names its legs (LEGS, per action
    kind, in order; LEG_KINDS, the execution kind of each leg) and says how each is specified,
    how the action is summed up, and what a dry run shows."""

    LEGS: ClassVar[dict[ExecKind, tuple[str, ...]]]
    LEG_KINDS: ClassVar[dict[str, ExecKind]]

    def __init__(self, executor: Executor) -> None:
        self.ex = executor

    @property
    def config(self) -> ExecConfig:
        return self.ex.config

    async def spec(self, record: Record, leg: str, progress: Progress) -> LegSpec:
        raise NotImplementedError

    async def summary(self, record: Record, progress: Progress) -> dict[str, str]:
        """The action's own outcome details (what it achieved), beside the legs' tx and gas."""
        raise NotImplementedError

    async def preview(self, record: Record) -> dict[str, str]:
        """Dry run: what the legs would do now (nothing signed)."""
        raise NotImplementedError

    async def advance(self, record: Record, *, paused: bool) -> bool:
        """One pass: drive the current leg, create the next, finish the action when all are
        confirmed. True when something terminal happened to the action."""
        repo, action = self.ex.repo, record.execution.decision_id
        progress = Progress()
        for leg in self.LEGS[record.execution.kind]:
            child = await repo.find(leg_id(action, leg))
            if child is None:
                if paused and not progress.legs:
                    return False  # nothing sent yet: a pause still holds it
                try:
                    spec = await self.spec(record, leg, progress)
                except (LookupError, ValueError) as err:
                    await self._fail(record, f"{leg}: {err}")
                    return True
                child = await self._create(record, leg, spec)
            if child.execution.phase not in TERMINAL:
                await self.ex.drive(child.execution.decision_id, paused=paused)
                child = await repo.load(child.execution.decision_id)
            if child.execution.phase is Phase.FAILED:
                reason = (child.outcome or {}).get("reason") or "failed"
                await self._fail(record, f"{leg}: {reason}")
                return True
            if child.execution.phase is not Phase.CONFIRMED:
                return False
            self.ex.crash(f"after_leg_{leg}")
            progress.legs[leg] = child
        await self._finish(record, progress)
        return True

    async def _create(self, record: Record, leg: str, spec: LegSpec) -> Record:
        repo, now = self.ex.repo, self.ex.clock()
        child_id = leg_id(record.execution.decision_id, leg)
        kind = AutomationKind(record.execution.kind)
        payload = AutomationAction(
            action_id=child_id,
            kind=kind,
            status=ExecutionStatus.DRY_RUN,
            mode=ExecutionMode.LIVE,
            amount_in_raw=spec.amount_in_raw,
            details=spec.details,
            executed_at=now,
        )
        await repo.create_automation(
            child_id,
            self.LEG_KINDS[leg],
            strategy=record.execution.decision_id,
            mode=ExecutionMode.LIVE,
            now=now,
            amount_usd=Decimal(0),
            amount_in_raw=spec.amount_in_raw,
            payload=payload,
        )
        if spec.skipped is not None:
            child = await repo.load(child_id)
            outcome = self.ex.builder.outcome(
                now, child, ExecutionStatus.CONFIRMED, reason=f"skipped: {spec.skipped}"
            )
            await repo.finalize(child_id, Phase.CONFIRMED, outcome)
        return await repo.load(child_id)

    async def _fail(self, record: Record, reason: str) -> None:
        outcome = self.ex.builder.outcome(
            self.ex.clock(), record, ExecutionStatus.FAILED, reason=reason[:500]
        )
        await self.ex.repo.finalize(record.execution.decision_id, Phase.FAILED, outcome)

    async def _finish(self, record: Record, progress: Progress) -> None:
        """Confirmed: each leg's tx hash and gas (or why it was skipped), the total gas, and
        the subclass's summary."""
        details: dict[str, str] = {}
        gas_used = gas_cost = 0
        last_tx, block = None, None
        for leg, child in progress.legs.items():
            out = child.outcome or {}
            if out.get("tx_hash"):
                last_tx, block = out["tx_hash"], child.execution.mined_block
                details[f"{leg}_tx"] = str(out["tx_hash"])
                used = int(out.get("details", {}).get("gas_used", 0))
                details[f"{leg}_gas_used"] = str(used)
                gas_used += used
                gas_cost += int(out.get("details", {}).get("gas_cost_wei", 0))
            else:
                details[f"{leg}_skipped"] = str(out.get("reason", "skipped"))
        details.update(await self.summary(record, progress))
        details["gas_used"], details["gas_cost_wei"] = str(gas_used), str(gas_cost)
        details["block"] = str(block)
        outcome = self.ex.builder.outcome(
            self.ex.clock(), record, ExecutionStatus.CONFIRMED, tx_hash=last_tx, extra=details
        )
        await self.ex.repo.finalize(record.execution.decision_id, Phase.CONFIRMED, outcome)
