"""`POST /api/v1/control/{verb}`: an operator's command onto `control.<verb>`, rate-limited."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Request
from pydantic import BaseModel, Field

from ballast.common.messages import UtcDatetime
from ballast.gateway.api.auth import Operator, gateway
from ballast.gateway.domain.control import (
    ControlError,
    ControlRequest,
    DuplicateCommand,
    SignatureRefused,
)

router = APIRouter(prefix="/api/v1", tags=["control"])


class ControlBody(BaseModel):
    target: str | None = Field(default=None, max_length=200,
                               description="a service, a strategy or an alert key")
    decision_id: str | None = Field(default=None, max_length=128, description="for approve")
    matchers: dict[str, str] = Field(default_factory=dict[str, str], description="for silence")
    duration_seconds: int | None = Field(default=None, description="silence length (2 h)")
    reason: str = Field(default="", max_length=1000)
    command_id: str | None = Field(default=None, min_length=1, max_length=128,
                                   description="signed commands only: the operator's id")
    issued_at: UtcDatetime | None = Field(default=None,
                                          description="signed commands only: whole seconds")
    signer: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{40}$",
                               description="the operator key's address (`ballast control "
                               "--keystore`); the gateway checks the signature")
    signature: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{130}$",
                                  description="EIP-712 OperatorCommand (ballast.common.operators)")


@router.post("/control/{verb}", summary="publish a control command as the calling operator")
async def post_control(
    request: Request,
    verb: Literal["pause", "resume", "approve", "silence", "ack"],
    principal: Operator,
    body: Annotated[ControlBody | None, Body()] = None,
) -> dict[str, Any]:
    """The command carries the token's name as `issued_by`; it is recorded in Postgres before
    it is published, and the answer (stream sequence, or the error) after. A signed command
    (signer, signature, command_id, issued_at) is published unchanged once its signature
    recovers to `signer` within the time window (422 with the reason otherwise; 409 for a
    command_id already sent)."""
    app = gateway(request)
    if not app.allow_control(principal):
        app.metrics.denied.labels("rate").inc()
        retry = app.limiter.retry_after(principal.name)
        raise HTTPException(
            429, "too many control commands", headers={"Retry-After": str(int(retry) + 1)}
        )
    b = body or ControlBody()
    req = ControlRequest(b.target, b.decision_id, dict(b.matchers), b.duration_seconds, b.reason,
                         b.command_id, b.issued_at, b.signer, b.signature)
    try:
        return await app.control(principal, verb, req)
    except SignatureRefused as err:
        raise HTTPException(422, str(err)) from None
    except DuplicateCommand as err:
        raise HTTPException(409, str(err)) from None
    except ControlError as err:
        raise HTTPException(400, str(err)) from None
