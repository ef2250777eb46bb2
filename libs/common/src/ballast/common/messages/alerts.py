"""Alerts (PSTR seed "Monitoring & Alerting"; StakeBasket seed AlertManager)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from ballast.common.messages._base import Message, UtcDatetime


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"
    GOVERNANCE = "governance"


class AlertState(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class Alert(Message):
    """`alerts.<severity>`: one notification about one alert key."""

    key: str = Field(description="deterministic: rule + sorted labels")
    rule: str
    severity: Severity
    state: AlertState
    labels: dict[str, str] = Field(default_factory=dict[str, str])
    summary: str
    description: str = ""
    value: str | None = None
    starts_at: UtcDatetime
    ends_at: UtcDatetime | None = None
    escalated: bool = False
    acknowledged: bool = False
    notified_at: UtcDatetime
    runbook_url: str | None = Field(
        default=None, description="the runbook section: what the alert means, what to do"
    )
