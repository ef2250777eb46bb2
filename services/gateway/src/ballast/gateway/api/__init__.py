"""The gateway's HTTP API (FastAPI): its OpenAPI document is `docs/openapi.json`."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from pydantic import SecretStr

from ballast.gateway.adapters.proposals import GatewayProposals
from ballast.gateway.api import control, custody, devnet, read, stream
from ballast.gateway.app import GatewayApp
from ballast.gateway.hub import Hub
from ballast.gateway.settings import GatewaySettings

DESCRIPTION = """\
Ballast's state for people and programs that do not speak NATS.

Every route needs `Authorization: Bearer <token>` (streams also take `?access_token=`). Viewer
tokens read; operator tokens also post control commands and read `control.*`.

Live stream: `GET /api/v1/stream?subjects=prices.consensus.*,treasury.state` upgrades to a
WebSocket (not listed below: OpenAPI describes HTTP operations only); `GET /api/v1/events` is the
same stream as server-sent events. Each frame is `{"subject", "data", "received_at"}` with `data`
the bus payload as documented in `docs/asyncapi.yaml`: first the latest message of each subject,
then live ones in order. A client that falls behind loses its oldest frames, then its connection.
"""


def create_api(app: GatewayApp | None, hub: Hub | None, settings: GatewaySettings,
               proposals: GatewayProposals | None = None) -> FastAPI:
    api = FastAPI(
        title="Ballast gateway", version="1", description=DESCRIPTION,
        docs_url="/api/docs", redoc_url=None, openapi_url="/api/v1/openapi.json",
    )
    api.state.gateway, api.state.hub, api.state.settings = app, hub, settings
    api.state.proposals = proposals
    if settings.cors_origins:
        api.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"], max_age=600,
        )
    api.include_router(read.router)
    api.include_router(stream.router)
    api.include_router(control.router)
    api.include_router(devnet.router)
    api.include_router(custody.router)
    api.state.chain_config = devnet.load_chain_config(settings) if app is not None else None
    if settings.static_dir is not None and settings.static_dir.is_dir():
        api.mount("/", StaticFiles(directory=settings.static_dir, html=True), name="console")
    return api


def openapi_document(settings: GatewaySettings) -> dict[str, Any]:
    return create_api(None, None, settings).openapi()


def render_openapi() -> str:
    """The committed `docs/openapi.json` (`make docs`), from the code alone."""
    settings = GatewaySettings(database_url=SecretStr("postgresql://docs@localhost/docs"))
    return json.dumps(openapi_document(settings), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render_openapi(), end="")
