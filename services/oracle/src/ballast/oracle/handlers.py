"""Bus subscribers: an operator's `control.*` command -> the core. Thin."""

from __future__ import annotations

from faststream.nats import DeliverPolicy

from ballast.common.bus import Bus
from ballast.common.messages import ControlCommand
from ballast.common.subjects import CONTROL_ALL
from ballast.oracle.app import Oracle


def register(bus: Bus, core: Oracle) -> None:
    @bus.subscriber(CONTROL_ALL, "oracle-control", deliver_policy=DeliverPolicy.NEW,
                    title="oracle:control",
                    description="approve (target oracle): an operator confirms a moved price")
    async def on_control(command: ControlCommand) -> None:
        core.control(command)
