"""Control commands onto JetStream, waiting for the stream's ack (the command's answer).

`Nats-Msg-Id` is the command id: a retried publish is stored once. The trace context rides in
the headers as on every Ballast publish.
"""

from __future__ import annotations

from collections.abc import Callable

from nats.js import JetStreamContext
from opentelemetry import propagate

from ballast.common.messages import ControlCommand
from ballast.common.subjects import Namespace
from ballast.gateway.app import PubAck


class JetStreamControlPublisher:
    def __init__(self, jetstream: Callable[[], JetStreamContext], ns: Namespace) -> None:
        """`jetstream` gives the bus's JetStream context once the service has connected."""
        self.jetstream, self.ns = jetstream, ns

    async def publish(self, cmd: ControlCommand, subject: str) -> PubAck:
        headers: dict[str, str] = {"content-type": "application/json",
                                   "Nats-Msg-Id": cmd.command_id}
        propagate.inject(headers)
        ack = await self.jetstream().publish(
            self.ns.subject(subject), cmd.model_dump_json().encode(), headers=headers, timeout=5.0
        )
        return PubAck(stream=ack.stream, seq=int(ack.seq))
