"""Bearer-token checks shared by every route, streams included (no token, no data).

Browsers cannot set headers on `new WebSocket(...)` or `EventSource(...)`, so the stream routes
also take the token as `?access_token=` (RFC 6750 section 2.3). The gateway never logs a request
line, so a token in a query string is not written anywhere by it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ballast.gateway.app import GatewayApp
from ballast.gateway.domain.access import Principal

_bearer = HTTPBearer(auto_error=False, description="a token from the gateway's tokens file")


def gateway(request: Request) -> GatewayApp:
    return request.app.state.gateway


def _principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    app = gateway(request)
    token = credentials.credentials if credentials else request.query_params.get("access_token")
    principal = app.authenticate(token)
    if principal is None:
        app.metrics.denied.labels("token").inc()
        raise HTTPException(
            401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    return principal


def _operator(principal: Annotated[Principal, Depends(_principal)], request: Request) -> Principal:
    if not principal.may_control:
        gateway(request).metrics.denied.labels("role").inc()
        raise HTTPException(403, "this needs an operator token")
    return principal


Caller = Annotated[Principal, Depends(_principal)]
Operator = Annotated[Principal, Depends(_operator)]
