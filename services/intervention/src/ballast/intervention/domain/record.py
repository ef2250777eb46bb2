"""What an execution is: its kind (one enum), its phase and its record.

An intervention and each automation action (`AutomationKind`) are decided and published; the legs
of a liquidity action and the executor's own approvals and nonce fillers are executions too, never
published on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ballast.common.messages import ExecutionMode


class ExecKind(StrEnum):
    INTERVENTION = "intervention"
    ACCUMULATE = "accumulate"
    REBALANCE = "rebalance"
    COMPOUND = "compound"
    STAKE = "stake"
    FUND_WITHDRAWALS = "fund_withdrawals"
    LIQUIDITY_ADD = "liquidity_add"
    LIQUIDITY_REBALANCE = "liquidity_rebalance"
    LP_SWAP = "lp_swap"
    """A leg of a liquidity action: the swap that balances the two tokens."""
    LP_ADD = "lp_add"
    LP_REMOVE = "lp_remove"
    ASSET_REBALANCE = "asset_rebalance"
    """StakeBasket CORE/BTC split back to target: recall -> swapAssets -> deploy (asset_legs.py)."""
    ASSET_RECALL = "asset_recall"
    """A leg of an asset rebalance: recallLiquidity of the sold asset when free liquidity is short
    (then ASSET_SWAP: swapAssets, and ASSET_DEPLOY: deployLiquidity of the bought asset)."""
    ASSET_SWAP = "asset_swap"
    ASSET_DEPLOY = "asset_deploy"
    APPROVE = "approve"
    """The executor's own: an ERC-20 approval of the router."""
    NONCE_FILL = "nonce_fill"
    """The executor's own: a zero-value transfer that closes a nonce gap."""


SWAP_KINDS = frozenset({ExecKind.INTERVENTION, ExecKind.ACCUMULATE})
BASKET_KINDS = frozenset({ExecKind.REBALANCE, ExecKind.COMPOUND})
BOOK_KINDS = frozenset({ExecKind.STAKE, ExecKind.FUND_WITHDRAWALS})
"""Basket moves sized from the basket's books at signing time (ballast.strategy.basket)."""
COMPOSITE_KINDS = frozenset(
    {ExecKind.LIQUIDITY_ADD, ExecKind.LIQUIDITY_REBALANCE, ExecKind.ASSET_REBALANCE}
)
"""Actions of several legs, each an execution of its own (composite.py)."""
LEG_KINDS = frozenset({ExecKind.LP_SWAP, ExecKind.LP_ADD, ExecKind.LP_REMOVE})
ASSET_LEG_KINDS = frozenset({ExecKind.ASSET_RECALL, ExecKind.ASSET_SWAP, ExecKind.ASSET_DEPLOY})
"""StakeBasket calls sized at signing from the chain (ballast.strategy.assets)."""
BASKET_MOVERS = BOOK_KINDS | {ExecKind.ASSET_REBALANCE}
"""Actions that move the StakeBasket's free liquidity: one at a time, in decision order (the
later waits before signing anything), so one's sizing never meets another's half-done move."""
INTERNAL_KINDS = frozenset({ExecKind.APPROVE, ExecKind.NONCE_FILL})
UNPUBLISHED_KINDS = LEG_KINDS | ASSET_LEG_KINDS | INTERNAL_KINDS
"""Reported by the action that needed them, never on their own."""


class RecordError(RuntimeError):
    """A record in a phase that lacks what the phase implies (a signed execution without its
    nonce): the database was edited by hand, or a bug wrote it."""


class Phase(StrEnum):
    DECIDED = "decided"
    NONCE_RESERVED = "nonce_reserved"
    SIGNED = "signed"
    BROADCAST = "broadcast"
    MINED = "mined"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    DRY_RUN = "dry_run"


@dataclass(frozen=True)
class Attempt:
    """One signed transaction for an execution: the first, or a fee-bumped replacement."""

    attempt: int
    nonce: int
    tx_hash: str
    raw: bytes
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    broadcast_at: datetime | None = None


@dataclass(frozen=True)
class Execution:
    decision_id: str
    kind: ExecKind
    mode: ExecutionMode
    phase: Phase
    decided_at: datetime
    requires_approval: bool
    approved: bool
    nonce: int | None
    attempts: tuple[Attempt, ...]
    mined_hash: str | None
    mined_block: int | None
    published: bool

    @property
    def latest(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def reserved_nonce(self) -> int:
        """The nonce of an execution past nonce_reserved (every phase the executor signs in)."""
        if self.nonce is None:
            raise RecordError(f"{self.decision_id} in phase {self.phase} has no nonce")
        return self.nonce

    @property
    def signed(self) -> Attempt:
        """The newest signed attempt of an execution past signed."""
        if not self.attempts:
            raise RecordError(f"{self.decision_id} in phase {self.phase} has no signed attempt")
        return self.attempts[-1]

    @property
    def hashes(self) -> tuple[str, ...]:
        return tuple(a.tx_hash for a in self.attempts)
