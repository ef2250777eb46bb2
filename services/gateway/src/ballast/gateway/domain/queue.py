"""Queued ETF withdrawals with their place in line and expected wait (StakeBasket seed, Phase 3:
"Queue position & wait time").

The UnbondingQueue pays FIFO per asset once a request's `readyAt` has passed (it never decreases
along a line), so a request's position is its rank among unclaimed requests of its asset by id,
and its expected wait is `readyAt - now` (0 once ready, when only funding can hold it back).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class QueuedRequest:
    request_id: int
    owner: str
    asset: str
    amount_raw: int
    shares_raw: int
    ready_at: datetime


@dataclass(frozen=True)
class QueueEntry:
    request: QueuedRequest
    position: int  # 1 = next to be paid in its asset's line
    expected_wait_seconds: int


def queue_positions(
    queued: Iterable[QueuedRequest], claimed: Iterable[int], now: datetime
) -> list[QueueEntry]:
    paid = set(claimed)
    open_requests = sorted(
        (r for r in queued if r.request_id not in paid), key=lambda r: (r.asset, r.request_id)
    )
    out: list[QueueEntry] = []
    rank: dict[str, int] = {}
    for r in open_requests:
        rank[r.asset] = rank.get(r.asset, 0) + 1
        wait = max(0, int((r.ready_at - now).total_seconds()))
        out.append(QueueEntry(r, rank[r.asset], wait))
    return sorted(out, key=lambda e: e.request.request_id)
