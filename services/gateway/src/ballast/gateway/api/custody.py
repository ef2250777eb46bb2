"""Safe transaction proposals (issue 21 "Custody"): the list the console shows, and an owner's
signature from a browser wallet (`eth_signTypedData_v4` of the proposal's `typed_data`).

The signature is the authority: it must recover to a current owner of the Safe, checked on
chain by the proposal store. The operator token only limits who may submit one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from hexbytes import HexBytes
from pydantic import BaseModel, Field

from ballast.gateway.adapters.proposals import (
    GatewayProposals,
    ProposalNotFound,
    SignatureRefused,
    SigningUnavailable,
)
from ballast.gateway.api.auth import Caller, Operator

router = APIRouter(prefix="/api/v1", tags=["custody"])


class SignatureBody(BaseModel):
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$",
                           description="65 bytes r ‖ s ‖ v of the Safe transaction hash, hex")


def _proposals(request: Request) -> GatewayProposals:
    found: GatewayProposals | None = getattr(request.app.state, "proposals", None)
    if found is None:
        raise HTTPException(503, "this gateway has no proposal store")
    return found


@router.get("/proposals", summary="Safe transaction proposals (pending by default; ?all=true)")
async def proposals(request: Request, _: Caller, all: bool = False  # noqa: A002
                    ) -> list[dict[str, Any]]:
    """Each is the `custody.proposals` payload plus `typed_data`, the EIP-712 message an owner
    signs, and `ready` (enough owner signatures to execute)."""
    return await _proposals(request).list(pending_only=not all)


@router.post("/proposals/{proposal_id}/signatures",
             summary="add a Safe owner's signature of a proposal (operators)")
async def sign(request: Request, proposal_id: str, body: SignatureBody, _: Operator
               ) -> dict[str, Any]:
    """`result`: added, duplicate (this owner had signed), enough (the threshold was met
    already) or closed (executed, failed or stale). A signature that does not recover to an
    owner of the Safe is refused with 422."""
    try:
        return await _proposals(request).sign(proposal_id, bytes(HexBytes(body.signature)))
    except ProposalNotFound as err:
        raise HTTPException(404, str(err)) from None
    except SignatureRefused as err:
        raise HTTPException(422, str(err)) from None
    except SigningUnavailable as err:
        raise HTTPException(503, str(err)) from None
