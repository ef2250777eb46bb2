"""The Bus's connection settings (re-exported by ballast.common.bus)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ballast.common.subjects import Namespace


@dataclass(frozen=True)
class BusConfig:
    """What a Bus needs to connect; built from service settings."""

    service: str
    nats_url: str
    namespace: Namespace = Namespace()
    credentials_file: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    tls_ca_file: str | None = None
    max_deliver: int = 5
    ack_wait_seconds: float = 30.0
    redelivery_backoff_seconds: float = 1.0
