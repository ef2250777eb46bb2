"""Bus subscribers: a typed fact or control command -> the core (app.py). Nothing else.

One durable pull consumer per payload pattern the rules read (ballast.common.subjects.PAYLOADS),
created with DeliverPolicy.NEW so a first start does not replay weeks of stream history as if it
were happening now; afterwards the durable resumes where it stopped. Plus `control.*` for
silences and acknowledgements sent by operators.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from faststream.nats import DeliverPolicy
from faststream.nats.annotations import NatsMessage

from ballast.alerts.app import Alerts
from ballast.common.bus import Bus
from ballast.common.messages import ControlCommand, Message
from ballast.common.subjects import CONTROL_ALL, PAYLOADS


def durable_name(pattern: str) -> str:
    return "alerts-" + re.sub(r"[^A-Za-z0-9_-]", "_", pattern).strip("_")


def _fact_handler(model: type[Message], bus: Bus, core: Alerts) -> Callable[..., Any]:
    async def handle(body: Message, msg: Any) -> None:
        await core.on_fact(bus.ns.unprefix(msg.raw_message.subject), body)

    # FastStream validates the body against the annotation: give it the pattern's model
    handle.__annotations__ = {"body": model, "msg": NatsMessage, "return": None}
    return handle


def subscribe(bus: Bus, core: Alerts, batch_size: int = 16) -> None:
    """One durable per payload pattern the core's rules read, and `control.*`."""
    for pattern in core.subscribed:
        model = PAYLOADS[pattern]
        bus.subscriber(
            pattern,
            durable=durable_name(pattern),
            deliver_policy=DeliverPolicy.NEW,
            batch_size=batch_size,
            title=f"alerts:{pattern}",
            description=f"alert rules over {model.__name__}",
        )(_fact_handler(model, bus, core))

    @bus.subscriber(
        CONTROL_ALL,
        durable="alerts-control",
        deliver_policy=DeliverPolicy.NEW,
        title="alerts:control",
        description="silence and ack commands",
    )
    async def control(command: ControlCommand) -> None:
        await core.on_control(command)
