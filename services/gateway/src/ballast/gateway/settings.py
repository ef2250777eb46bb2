"""Gateway settings: `BALLAST_GATEWAY_*` from the environment.

Tokens: `BALLAST_GATEWAY_TOKENS_FILE` names a JSON file (a Kubernetes secret mount) of
`[{"name": "alice", "role": "operator", "hash": "sha256:<hex>"}]`; only hashes are kept, so the
file can be read by anyone who may read the deployment. `ballast-gateway-token` prints a new
token and its line for the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from ballast.common.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BALLAST_GATEWAY_")
    service_name: ClassVar[str] = "gateway"

    api_host: str = "0.0.0.0"  # noqa: S104 - the API is the gateway's purpose
    api_port: int = Field(default=8080, ge=0, le=65535, description="the read API and streams")
    tokens_file: Path | None = Field(default=None, description="JSON list of hashed tokens")
    cors_origins: list[str] = Field(default_factory=list[str], description="allowed origins")
    stream_queue_size: int = Field(default=256, ge=1, description="frames queued per client")
    stream_max_behind_seconds: float = Field(
        default=10.0, gt=0, description="a client behind this long is disconnected"
    )
    stream_keepalive_seconds: float = Field(default=15.0, gt=0)
    control_rate_per_minute: int = Field(default=30, ge=1, description="per caller")
    control_burst: int = Field(default=5, ge=1)
    history_max_points: int = Field(default=2000, ge=10)
    static_dir: Path | None = Field(default=None, description="built web console to serve at /")
    deployment_file: Path | None = Field(
        default=None, description="deployment.json: the investor page's contracts (/api/v1/devnet)"
    )
    rpc_url: str | None = Field(default=None, description="the chain the investor page talks to")
    public_rpc_url: str | None = Field(
        default=None, description="the RPC URL as browsers reach it, when not rpc_url"
    )
