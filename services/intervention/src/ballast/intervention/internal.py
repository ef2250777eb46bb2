"""Transactions the executor sends for itself: token approvals and nonce-gap fillers.

Both are executions like any other (a row persisted before anything is signed, the same steps),
never published: what they serve is reported by the action that needed them.

A nonce gap: an execution reserves nonce n and ends before signing (the books moved, the quote
reverted) after a later one already sent n + 1. The node holds n + 1 until n is mined. The next
reservation takes the lowest free nonce, so any new action closes the gap; when none comes, the
executor closes it itself with a zero-value transfer to its own account.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from ballast.common.messages import (
    AutomationAction,
    AutomationKind,
    ExecutionMode,
    ExecutionStatus,
)
from ballast.intervention.domain.record import ExecKind

if TYPE_CHECKING:
    from ballast.intervention.executor import Executor

log = logging.getLogger("ballast.intervention.internal")



def nonce_gaps(mined: int, held: Iterable[int]) -> list[int]:
    """Nonces at or above the mined count, below the highest held one, that nobody holds."""
    taken = set(held)
    top = max(taken, default=mined - 1)
    return [n for n in range(mined, top) if n not in taken]


async def ensure_approval(executor: Executor, token: str, spender: str | None = None) -> None:
    """One open approval of `token` to `spender` (the router unless named) at a time, driven
    now."""
    repo, router = executor.repo, executor.config.router
    spender = spender or router
    key = token.lower() if spender.lower() == router.lower() else f"{token}:{spender}".lower()
    open_id = await repo.open_of_kind(ExecKind.APPROVE, key)
    if open_id is None:
        open_id = await _create(executor, ExecKind.APPROVE, key,
                                {"token": token, "spender": spender})
    await executor.drive(open_id)


async def fill_nonce_gap(executor: Executor) -> bool:
    """Send a filler at the lowest gap below a held nonce; True if there was a gap."""
    account = executor.account
    mined = await executor.chain.nonce(account, "latest")
    gaps = nonce_gaps(mined, await executor.repo.held_nonces(account, mined))
    if not gaps:
        return False
    open_id = await executor.repo.open_of_kind(ExecKind.NONCE_FILL, account.lower())
    if open_id is None:
        open_id = await _create(executor, ExecKind.NONCE_FILL, account.lower(),
                                {"account": account, "gap": str(gaps[0])})
        log.warning("nonce gap: filling it with a transfer to ourselves",
                             extra={"account": account, "nonce": gaps[0], "mined": mined})
    await executor.drive(open_id)
    return True


async def _create(
    executor: Executor, kind: ExecKind, strategy: str, details: dict[str, str]
) -> str:
    now = executor.clock()
    decision_id = f"{kind}-{strategy}-{now:%Y%m%dT%H%M%S%f}"
    payload = AutomationAction(
        action_id=decision_id, kind=AutomationKind.ACCUMULATE, status=ExecutionStatus.DRY_RUN,
        mode=ExecutionMode.LIVE, details=details, executed_at=now,
    )
    await executor.repo.create_automation(
        decision_id, kind, strategy=strategy, mode=ExecutionMode.LIVE, now=now,
        amount_usd=Decimal(0), amount_in_raw=0, payload=payload,
    )
    return decision_id
