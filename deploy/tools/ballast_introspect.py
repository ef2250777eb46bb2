"""What each Ballast service does on the bus and which metrics it exports, read from its code.

Every service listed in `ballast.cli.registry.SERVICES` is built offline with its own
`build_app(settings)` (the composition root `python -m ballast.<service>` runs): nothing connects,
so this works on a laptop, in CI and in a Docker build alike. From the built app we read

- its bus: each durable consumer (subject pattern, stream, durable name: `Bus.subscribers`) and
  each publisher declared on its FastStream broker (subject pattern);
- its injected CollectorRegistry: every metric family it registered, with its type.

The NATS permissions (deploy/tools/nats_permissions.py) and the test that every metric a dashboard
or an alert rule names is exported (tests/deploy) are both derived from this, so neither can
drift from the code without a test failing.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ballast.cli.registry import SERVICES, ServiceSpec
from ballast.common.settings import ServiceSettings

OFFLINE_DSN = "postgresql://offline@127.0.0.1:1/offline"
"""Never dialled: building an app opens no connection (the pool opens in Service.start)."""

_PLACEHOLDER_ADDRESS = "0x" + "11" * 20
OFFLINE_SETTINGS: dict[str, Any] = {
    "database_url": OFFLINE_DSN,
    "rpc_url": "http://127.0.0.1:1",
    # contract-monitor refuses to build without the StakeBasket suite's addresses
    **{
        name: _PLACEHOLDER_ADDRESS
        for name in ("stake_basket", "basket_token", "staking_manager", "unbonding_queue",
                     "price_feed", "corebtc")
    },
}
"""Enough settings for every service to build; each ignores the keys it does not know."""


@dataclass(frozen=True)
class Consumer:
    subject: str
    stream: str
    durable: str


@dataclass(frozen=True)
class BusUse:
    service: str
    consumers: tuple[Consumer, ...]
    publishes: tuple[str, ...]


@dataclass(frozen=True)
class MetricFamily:
    name: str
    type: str  # counter, gauge, histogram, summary, info, stateset, unknown

    def exposed(self) -> set[str]:
        """The sample names Prometheus scrapes for this family (prometheus_client rules)."""
        n = self.name
        if self.type == "counter":
            return {f"{n}_total", f"{n}_created"}
        if self.type == "histogram":
            return {f"{n}_bucket", f"{n}_sum", f"{n}_count", f"{n}_created"}
        if self.type == "summary":
            return {n, f"{n}_sum", f"{n}_count", f"{n}_created"}
        if self.type == "info":
            return {f"{n}_info"}
        return {n}


def settings_class(spec: ServiceSpec) -> type[ServiceSettings]:
    module = importlib.import_module(f"{spec.module}.settings")
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, ServiceSettings)
            and value is not ServiceSettings
            and str(value.model_config.get("env_prefix", "")).upper() == spec.env_prefix
        ):
            return value
    raise LookupError(f"{spec.module}.settings has no settings class with prefix {spec.env_prefix}")


def build_service(spec: ServiceSpec, **overrides: Any) -> Any:
    """The service's `ballast.common.service.Service`, built by its own `build_app`, not started."""
    main = importlib.import_module(f"{spec.module}.main")
    settings = settings_class(spec)(**{**OFFLINE_SETTINGS, **overrides})
    app = main.build_app(settings)
    return getattr(app, "service", app)


def bus_use(spec: ServiceSpec, service: Any) -> BusUse:
    broker = service.bus.broker
    consumers: list[Consumer] = []
    for sub in service.bus.subscribers:
        stream = getattr(sub, "stream", None)
        durable = getattr(getattr(sub, "config", None), "durable_name", None)
        if stream is None or durable is None:
            raise ValueError(
                f"{spec.name}: subscriber {sub.subject!s} is not a durable JetStream consumer; "
                "the permission generator only knows those (DESIGN.md 'The bus')"
            )
        consumers.append(Consumer(_subject(sub), str(stream.name), str(durable)))
    publishes = sorted({_subject(pub) for pub in broker.publishers})
    return BusUse(
        spec.name,
        tuple(sorted(consumers, key=lambda c: (c.stream, c.durable))),
        tuple(publishes),
    )


def metric_families(service: Any) -> set[MetricFamily]:
    return {MetricFamily(f.name, f.type) for f in service.registry.collect()}


def _subject(endpoint: Any) -> str:
    for attr in ("_subject", "subject"):
        value = getattr(endpoint, attr, None)
        if isinstance(value, str):
            return value
    text = str(endpoint.subject)
    return text.removeprefix("Address('").removesuffix("')")


def services() -> Iterator[tuple[ServiceSpec, Any]]:
    for spec in SERVICES:
        yield spec, build_service(spec)
