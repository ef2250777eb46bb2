"""The one place a service registers, so `ballast up` starts it and `ballast status` shows it.

A service is listed here by name, module (`python -m <module>` runs it), settings env prefix
and its default ops port (the gateway also its API port). `ballast up` starts every listed
service whose package is installed.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    env_prefix: str
    http_port: int
    needs_chain: bool = False
    api_port: int | None = None  # a public API beside the ops port (the gateway)

    @property
    def installed(self) -> bool:
        return importlib.util.find_spec(self.module) is not None


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("oracle", "ballast.oracle", "BALLAST_ORACLE_", 9101, needs_chain=True),
    ServiceSpec("treasury", "ballast.treasury", "BALLAST_TREASURY_", 9102, needs_chain=True),
    ServiceSpec(
        "intervention", "ballast.intervention", "BALLAST_INTERVENTION_", 9103, needs_chain=True
    ),
    ServiceSpec("alerts", "ballast.alerts", "BALLAST_ALERTS_", 9104),
    ServiceSpec(
        "contract-monitor",
        "ballast.contract_monitor",
        "BALLAST_CONTRACT_MONITOR_",
        9105,
        needs_chain=True,
    ),
    ServiceSpec(
        "validator-monitor",
        "ballast.validator_monitor",
        "BALLAST_VALIDATOR_MONITOR_",
        9106,
        needs_chain=True,
    ),
    ServiceSpec(
        "gateway", "ballast.gateway", "BALLAST_GATEWAY_", 9107, needs_chain=True, api_port=8080
    ),
)


def installed_services() -> list[ServiceSpec]:
    return [spec for spec in SERVICES if spec.installed]
