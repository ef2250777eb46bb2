"""Alerts settings: `BALLAST_ALERTS_*` from the environment.

Channels are apprise URLs per route (a severity, or `watchdog`), as JSON, e.g.
`BALLAST_ALERTS_CHANNELS='{"critical": ["pagerduty://...", "json://hooks.local/alerts"],
"warning": ["slack://..."], "watchdog": ["json://deadman.local/ping"]}'`, or in the file named by
`BALLAST_ALERTS_CHANNELS_FILE` (a Kubernetes secret mount: URLs carry tokens).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from ballast.common.settings import ServiceSettings, from_json_file


class AlertsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BALLAST_ALERTS_")
    service_name: ClassVar[str] = "alerts"

    rules_path: Path | None = Field(default=None, description="rules YAML; default: shipped")
    rules_poll_seconds: float = Field(default=5.0, gt=0, description="mtime check period")
    grouping: bool = Field(default=True, description="false: no group_wait/group_interval")
    channels: dict[str, list[str]] = Field(default_factory=dict[str, list[str]])
    channels_file: Path | None = None
    tick_seconds: float = Field(default=1.0, gt=0)
    delivery_backoff_base_seconds: float = Field(default=1.0, gt=0)
    delivery_backoff_max_seconds: float = Field(default=60.0, gt=0)
    delivery_expiry_seconds: float = Field(default=86400.0, gt=0)
    digest_max: int = Field(default=50, ge=1)
    expected_services: list[str] = Field(
        default_factory=list[str],
        description="services whose heartbeat must arrive even if never seen since start",
    )
    expected_grace_seconds: float = Field(default=60.0, gt=0)
    retention_days: float = Field(
        default=90.0, gt=0, description="history, attempts and settled outbox rows kept"
    )
    fact_batch_size: int = Field(default=16, ge=1, description="pull batch per subscriber")
    report_url: str | None = Field(
        default=None, description="the gateway's base URL: send its status report to `report`"
    )
    report_token: SecretStr | None = Field(default=None, description="a gateway viewer token")
    report_every_seconds: float = Field(default=21600.0, gt=0, description="the seed's 6 hours")

    @model_validator(mode="before")
    @classmethod
    def _channels_from_file(cls, data: Any) -> Any:
        return from_json_file(data, "channels_file", "channels")
