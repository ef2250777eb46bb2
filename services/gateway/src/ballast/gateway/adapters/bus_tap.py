"""The hub's view of NATS: core subscriptions for live messages, JetStream for the latest ones.

Live messages come from a core subscription (a JetStream publish reaches core subscribers too),
so the gateway adds no consumer per client and no ack traffic. The latest message per subject
comes from an ephemeral consumer with `DeliverPolicy.LAST_PER_SUBJECT` on each stream whose
subjects overlap the filter, read to the end and deleted.
"""

from __future__ import annotations

from collections.abc import Callable

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from ballast.common.subjects import STREAMS, Namespace
from ballast.gateway.domain.filters import intersection
from ballast.gateway.hub import OnMessage, Unsubscribe

FETCH_BATCH = 256


class NatsBusTap:
    """`connection` and `jetstream` give the bus's NATS client and its JetStream context once the
    service has connected (they are asked for at each use, not at construction)."""

    def __init__(
        self, connection: Callable[[], Client], jetstream: Callable[[], JetStreamContext],
        ns: Namespace,
    ) -> None:
        self.connection, self.jetstream, self.ns = connection, jetstream, ns

    async def subscribe(self, pattern: str, on_message: OnMessage) -> Unsubscribe:
        unprefix = self.ns.unprefix

        async def deliver(msg: Msg) -> None:
            on_message(unprefix(msg.subject), msg.data)

        sub = await self.connection().subscribe(
            self.ns.subject(pattern), cb=deliver, pending_msgs_limit=0
        )
        return sub.unsubscribe

    async def last_values(self, pattern: str) -> list[tuple[str, bytes]]:
        found: list[tuple[str, bytes]] = []
        for spec in STREAMS:
            for stream_subject in spec.subjects:
                both = intersection(pattern, stream_subject)
                if both is not None:
                    found += await self._last_in(self.ns.stream(spec.name), both)
        return found

    async def _last_in(self, stream: str, pattern: str) -> list[tuple[str, bytes]]:
        sub = await self.jetstream().pull_subscribe(
            self.ns.subject(pattern),
            stream=stream,
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.LAST_PER_SUBJECT,
                ack_policy=AckPolicy.NONE,
                inactive_threshold=30.0,
                mem_storage=True,
            ),
        )
        try:
            info = await sub.consumer_info()
            left = int(info.num_pending or 0)
            out: list[tuple[str, bytes]] = []
            while left > 0:
                msgs = await sub.fetch(min(left, FETCH_BATCH), timeout=2.0)
                for msg in msgs:
                    out.append((self.ns.unprefix(msg.subject), msg.data))
                left -= len(msgs)
            return out
        finally:
            await sub.unsubscribe()
