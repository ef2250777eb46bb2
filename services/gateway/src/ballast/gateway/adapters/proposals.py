"""Safe transaction proposals for the console (issue 21 "Custody"): the proposal store's tables
read, and an owner's signature added through the store (ballast.common.proposals), which
refuses one that does not recover to a current owner of the Safe on chain.

The gateway publishes nothing here: the store writes each change to its outbox, and the service
that relays that outbox (the intervention service) puts it on `custody.proposals`. The chain
libraries are imported on first use, so a gateway without proposals does not load them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ballast.common.db import Postgres

if TYPE_CHECKING:
    from web3 import AsyncWeb3

    from ballast.common.proposals.store import Proposal, ProposalStore


class ProposalNotFound(LookupError):  # noqa: N818 - reads as what happened
    pass


class SignatureRefused(ValueError):  # noqa: N818 - reads as what happened
    """The store refused the signature (the message says why, and holds no secret)."""


class SigningUnavailable(RuntimeError):  # noqa: N818 - reads as what happened
    """The gateway has no chain to check a signer against (no RPC URL configured)."""


class GatewayProposals:
    def __init__(self, db: Postgres, rpc_url: str | None) -> None:
        self.db = db
        self.rpc_url = rpc_url
        self._store: ProposalStore | None = None
        self._w3: AsyncWeb3[Any] | None = None

    def store(self) -> ProposalStore:
        if self._store is None:
            from ballast.common.proposals.store import ProposalStore  # noqa: PLC0415

            self._store = ProposalStore(self.db)
        return self._store

    async def _exists(self) -> bool:
        return bool(await self.db.fetchval("SELECT to_regclass('safe_proposals') IS NOT NULL"))

    async def list(self, *, pending_only: bool) -> list[dict[str, Any]]:
        """Proposals in Safe nonce order, each with the EIP-712 message its owners sign; none
        while no proposal was ever made (the store's tables do not exist yet)."""
        if not await self._exists():
            return []
        return [view(p) for p in await self.store().list(pending_only=pending_only)]

    async def sign(self, proposal_id: str, signature: bytes) -> dict[str, Any]:
        """Add an owner's signature: {"result": added|duplicate|enough|closed, "proposal"}."""
        from ballast.common.proposals.chain import SafeOnChain  # noqa: PLC0415
        from ballast.common.proposals.store import ProposalError  # noqa: PLC0415

        if not await self._exists():
            raise ProposalNotFound(f"no proposal {proposal_id!r}")
        try:
            proposal = await self.store().get(proposal_id)
        except ProposalError:
            raise ProposalNotFound(f"no proposal {proposal_id!r}") from None
        if self.rpc_url is None:
            raise SigningUnavailable("the gateway has no RPC URL (BALLAST_GATEWAY_RPC_URL): it "
                                     "cannot check the signer against the Safe's owners")
        try:
            chain = SafeOnChain(self.w3(), proposal.message.safe)
        except FileNotFoundError as err:  # the Safe's ABI (contracts/artifacts) is not here
            raise SigningUnavailable(str(err)) from None
        try:
            result, proposal = await self.store().sign(chain, proposal_id, signature)
        except ProposalError as err:
            raise SignatureRefused(str(err)) from None
        return {"result": result.value, "proposal": view(proposal)}

    def w3(self) -> AsyncWeb3[Any]:
        if self._w3 is None:
            from ballast.common.evm.provider import connect  # noqa: PLC0415

            assert self.rpc_url is not None
            self._w3 = connect(self.rpc_url, timeout=10)
        return self._w3

    async def close(self) -> None:
        if self._w3 is not None:
            await self._w3.provider.disconnect()


def view(p: Proposal) -> dict[str, Any]:
    """The proposal as published on `custody.proposals`, plus `typed_data` (what a browser
    wallet's `eth_signTypedData_v4` signs; integers as decimal strings, JSON numbers lose
    precision past 2^53) and `ready` (the threshold is met)."""
    typed = p.call.typed_data()
    typed.update({part: _decimal_strings(typed[part]) for part in ("domain", "message")})
    return {**p.message.model_dump(mode="json"), "ready": p.ready, "typed_data": typed}


def _decimal_strings(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, int) else v for k, v in values.items()}
