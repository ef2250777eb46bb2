"""`custody.proposals`: a Safe transaction waiting for (or done with) its owners' signatures."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from ballast.common.messages._base import Address, BaseUnits, Message, TxHash, UtcDatetime


class SafeProposalStatus(StrEnum):
    PENDING = "pending"  # collecting owner signatures
    EXECUTED = "executed"  # execTransaction mined and succeeded (`exec_tx_hash`)
    FAILED = "failed"  # execTransaction mined and the Safe reported ExecutionFailure
    STALE = "stale"  # the Safe's nonce moved past it without it: it can never run


class SafeProposal(Message):
    """A proposal's state after each change (proposed, signed, executed): the whole row, so a
    consumer needs only the latest message of a `proposal_id`."""

    proposal_id: str = Field(min_length=1, max_length=128)
    safe: Address
    chain_id: int = Field(ge=1)
    nonce: int = Field(ge=0, description="the Safe nonce the transaction is signed for")
    to: Address
    value: BaseUnits
    data: str = Field(pattern=r"^0x([0-9a-fA-F]{2})*$")
    operation: int = Field(ge=0, le=1)
    safe_tx_hash: TxHash = Field(description="the EIP-712 hash the owners sign")
    reason: str = ""
    decision_id: str | None = Field(default=None, description="the decision it carries out")
    proposed_by: str = Field(min_length=1)
    proposed_at: UtcDatetime
    signers: list[Address] = Field(default_factory=list[str], description="owners who signed")
    threshold: int = Field(ge=1)
    status: SafeProposalStatus
    exec_tx_hash: TxHash | None = None
    updated_at: UtcDatetime
