"""Operator commands on `control.*`: pause, resume and approve, from an operator identity only
(ballast.common.operators.refusal): an address identity obeys only a fresh signature recovering to
it (`ballast control --keystore`), a name identity the gateway token's name as before. The half of
the Decider (app.py) that answers the operators; every command it judges is recorded
(intervention_commands), and a command_id already applied is not applied again (a replay of a
signed command inside its time window, or a redelivery).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import TYPE_CHECKING

from ballast.common.messages import ControlCommand, ControlVerb
from ballast.common.operators import refusal
from ballast.intervention.metrics import InterventionMetrics
from ballast.strategy.policy import Policy

if TYPE_CHECKING:
    from ballast.intervention.app import Clock, Decisions

log = logging.getLogger("ballast.intervention.decider")
VERBS = (ControlVerb.PAUSE, ControlVerb.RESUME, ControlVerb.APPROVE)


class OperatorControl:
    repo: Decisions
    policy: Policy
    operators: Collection[str]
    metrics: InterventionMetrics | None
    clock: Clock

    async def on_control(self, cmd: ControlCommand) -> str:
        """Apply pause, resume or approve from an operator. Anything else is not ours."""
        if cmd.command not in VERBS:
            return "ignored: not an intervention command"
        if cmd.target not in (None, "intervention", self.policy.strategy):
            return "ignored: another target"
        if await self.repo.command_applied(cmd.command_id):
            log.info("control command already applied", extra={"command_id": cmd.command_id})
            return "ignored: already applied"
        refused = refusal(cmd, self.operators, self.clock())
        if refused is not None:
            await self.repo.record_command(cmd, False, refused)
            log.warning("control command refused", extra={
                "command_id": cmd.command_id, "issued_by": cmd.issued_by, "signer": cmd.signer,
                "reason": refused})
            self._count(cmd, False)
            return f"refused: {refused}"
        by = cmd.signer or cmd.issued_by
        if cmd.command is ControlVerb.APPROVE:
            if not cmd.decision_id:
                return "refused: approve needs a decision_id"
            applied = await self.repo.approve(cmd.decision_id, by, cmd.issued_at)
            detail = "approved" if applied else "nothing to approve"
        else:
            paused = cmd.command is ControlVerb.PAUSE
            await self.repo.set_paused(paused, cmd)
            if self.metrics is not None:
                self.metrics.paused.set(1 if await self.repo.paused() else 0)
            detail = "paused" if paused else "resumed"
        await self.repo.record_command(cmd, True, detail)
        self._count(cmd, True)
        log.info("control command applied", extra={"command_id": cmd.command_id,
                                                   "detail": detail, "signer": cmd.signer})
        return detail

    def _count(self, cmd: ControlCommand, accepted: bool) -> None:
        if self.metrics is not None:
            self.metrics.control.labels(cmd.command.value, str(accepted).lower()).inc()
