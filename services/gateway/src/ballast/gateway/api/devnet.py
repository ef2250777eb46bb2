"""`GET /api/v1/devnet`: the chain settings of the investor page (domain/devnet.py).

Public (no token): it holds only contract addresses, an RPC URL and anvil's published test keys,
and an investor needs it before any operator has given them a token. 404 when the gateway was
started without a deployment file and an RPC URL.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

from ballast.common.deployment import DeploymentFile, DeploymentFileError
from ballast.gateway.domain.devnet import DevnetError, chain_config
from ballast.gateway.settings import GatewaySettings

router = APIRouter(prefix="/api/v1", tags=["devnet"])


def load_chain_config(settings: GatewaySettings) -> dict[str, Any] | None:
    """Read once at start; None when not configured, an error naming the file when unreadable."""
    if settings.deployment_file is None or not settings.rpc_url:
        return None
    try:
        deployment = DeploymentFile.read(settings.deployment_file)
    except DeploymentFileError as err:
        raise DevnetError(str(err)) from None
    return chain_config(deployment.model_dump(), settings.public_rpc_url or settings.rpc_url)


@router.get("/devnet", summary="chain id, RPC URL, StakeBasket addresses, devnet test accounts")
async def devnet(request: Request) -> dict[str, Any]:
    config: dict[str, Any] | None = getattr(request.app.state, "chain_config", None)
    if config is None:
        raise HTTPException(404, "the gateway has no deployment file "
                                 "(BALLAST_GATEWAY_DEPLOYMENT_FILE) and RPC URL (…_RPC_URL)")
    return config
