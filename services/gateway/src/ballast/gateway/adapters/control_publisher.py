"""Control commands onto JetStream, waiting for the stream's ack (the command's answer).

`Nats-Msg-Id` is the command id: a retried publish is stored once. The trace context rides in
the headers as on every Ballast publish (Bus.publish_acked).
"""

from __future__ import annotations

from ballast.common.bus import Bus
from ballast.common.messages import ControlCommand
from ballast.gateway.app import PubAck


class JetStreamControlPublisher:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def publish(self, cmd: ControlCommand, subject: str) -> PubAck:
        ack = await self.bus.publish_acked(cmd, subject, msg_id=cmd.command_id)
        return PubAck(stream=ack.stream, seq=ack.seq)
