"""Liveness on the bus: every service publishes `heartbeat.<service>` on a fixed interval.

The alerts service pages when a heartbeat goes missing; `ballast status` shows them.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable
from datetime import datetime

from ballast.common.bus import Bus
from ballast.common.messages import Heartbeat, utcnow
from ballast.common.subjects import heartbeat

log = logging.getLogger("ballast.heartbeat")


def build_heartbeat(
    service: str,
    version: str,
    started_at: datetime,
    started_monotonic: float,
    checks: dict[str, bool],
    interval_seconds: float,
) -> Heartbeat:
    return Heartbeat(
        service=service,
        instance=socket.gethostname(),
        version=version,
        started_at=started_at,
        sent_at=utcnow(),
        uptime_seconds=int(time.monotonic() - started_monotonic),
        ready=all(checks.values()),
        checks=checks,
        interval_seconds=max(1, round(interval_seconds)),
    )


async def heartbeat_loop(
    bus: Bus,
    service: str,
    version: str,
    readiness: Callable[[], dict[str, bool]],
    interval_seconds: float,
) -> None:
    """Publish until cancelled. A failed publish is logged and retried on the next tick."""
    started_at, started_monotonic = utcnow(), time.monotonic()
    while True:
        beat = build_heartbeat(
            service, version, started_at, started_monotonic, readiness(), interval_seconds
        )
        try:
            await bus.publish(beat, heartbeat(service))
        except Exception as err:  # noqa: BLE001 - liveness must not kill the service
            log.warning("heartbeat publish failed", extra={"error": repr(err)})
        await asyncio.sleep(interval_seconds)
