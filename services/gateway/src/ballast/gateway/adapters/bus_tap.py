"""The hub's `BusTap` over the service's bus: `Bus.tap()` asked at each use, so the gateway can
be built before the bus connects (subjects un-prefixed, as the hub speaks them)."""

from __future__ import annotations

from ballast.common.bus import Bus
from ballast.gateway.hub import OnMessage, Unsubscribe


class ServiceBusTap:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def subscribe(self, pattern: str, on_message: OnMessage) -> Unsubscribe:
        return await self.bus.tap().subscribe(pattern, on_message)

    async def last_values(self, pattern: str) -> list[tuple[str, bytes]]:
        return await self.bus.latest(pattern)
