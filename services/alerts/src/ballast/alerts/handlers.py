"""Subscribers: a typed fact from the bus -> the engine -> persist, publish, deliver. Thin.

One durable pull consumer per payload pattern the rules read (ballast.common.subjects.PAYLOADS),
created with DeliverPolicy.NEW so a first start does not replay weeks of stream history as if it
were happening now; afterwards the durable resumes where it stopped. Plus `control.*` for
silences and acknowledgements sent by operators.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from faststream.nats import DeliverPolicy
from faststream.nats.annotations import NatsMessage

from ballast.common.bus import Bus
from ballast.common.messages import ControlCommand, Message
from ballast.common.subjects import CONTROL_ALL, PAYLOADS

OnFact = Callable[[str, Message], Awaitable[None]]
OnControl = Callable[[ControlCommand], Awaitable[None]]


def durable_name(pattern: str) -> str:
    return "alerts-" + re.sub(r"[^A-Za-z0-9_-]", "_", pattern).strip("_")


def _fact_handler(model: type[Message], bus: Bus, on_fact: OnFact) -> Callable[..., Any]:
    async def handle(body: Message, msg: Any) -> None:
        await on_fact(bus.ns.unprefix(msg.raw_message.subject), body)

    # FastStream validates the body against the annotation: give it the pattern's model
    handle.__annotations__ = {"body": model, "msg": NatsMessage, "return": None}
    return handle


def register_fact_subscribers(
    bus: Bus, patterns: set[str], on_fact: OnFact, batch_size: int = 16
) -> list[str]:
    registered: list[str] = []
    for pattern in sorted(patterns):
        model = PAYLOADS[pattern]
        bus.subscriber(
            pattern,
            durable=durable_name(pattern),
            deliver_policy=DeliverPolicy.NEW,
            batch_size=batch_size,
            title=f"alerts:{pattern}",
            description=f"alert rules over {model.__name__}",
        )(_fact_handler(model, bus, on_fact))
        registered.append(pattern)
    return registered


def register_control(bus: Bus, on_control: OnControl) -> None:
    @bus.subscriber(
        CONTROL_ALL,
        durable="alerts-control",
        deliver_policy=DeliverPolicy.NEW,
        title="alerts:control",
        description="silence and ack commands",
    )
    async def control(command: ControlCommand) -> None:
        await on_control(command)
