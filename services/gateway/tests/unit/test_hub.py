"""The hub with a fake bus tap (a port fake: no sockets), a hand-driven clock."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry

from ballast.gateway.hub import Hub, OnMessage
from ballast.gateway.metrics import GatewayMetrics


class FakeTap:
    def __init__(self, last: dict[str, list[tuple[str, bytes]]]) -> None:
        self.last = last
        self.subs: dict[str, OnMessage] = {}

    async def subscribe(self, pattern: str, on_message: OnMessage) -> Callable[[], Awaitable[None]]:
        self.subs[pattern] = on_message

        async def unsubscribe() -> None:
            del self.subs[pattern]

        return unsubscribe

    async def last_values(self, pattern: str) -> list[tuple[str, bytes]]:
        return self.last.get(pattern, [])

    def publish(self, subject: str, data: bytes) -> None:
        for on_message in list(self.subs.values()):
            on_message(subject, data)


def drain(hub: Hub, client: object) -> list[dict[str, object]]:
    out = []
    while (frame := hub.next_frame(client)) is not None:  # type: ignore[arg-type]
        out.append(json.loads(frame))
        hub.sent(client)  # type: ignore[arg-type]
    return out


async def test_hub__latest_then_live__once_per_client_and_released_on_disconnect() -> None:
    tap = FakeTap({"prices.>": [("prices.consensus.PSTR", b'{"n": 1}')]})
    now = [0.0]
    hub = Hub(tap, GatewayMetrics(CollectorRegistry()), queue_size=8, max_behind_seconds=5,
              clock=lambda: now[0])
    client = await hub.connect(("prices.consensus.*", "prices.>"), "vera")
    assert [f["data"] for f in drain(hub, client)] == [{"n": 1}]
    tap.publish("prices.consensus.PSTR", b'{"n": 2}')
    tap.publish("prices.observed.pyth.PSTR", b'{"n": 3}')
    assert [(f["subject"], f["data"]) for f in drain(hub, client)] == [
        ("prices.consensus.PSTR", {"n": 2}), ("prices.observed.pyth.PSTR", {"n": 3})
    ]
    await hub.disconnect(client)
    assert tap.subs == {} and hub.topics == {}


async def test_hub__slow_client__oldest_dropped_counted_then_cut_others_untouched() -> None:
    tap = FakeTap({})
    now = [0.0]
    hub = Hub(tap, GatewayMetrics(CollectorRegistry()), queue_size=2, max_behind_seconds=5,
              clock=lambda: now[0])
    slow = await hub.connect(("alerts.*",), "slow")
    fast = await hub.connect(("alerts.*",), "fast")
    for n in range(4):
        tap.publish("alerts.critical", json.dumps({"n": n}).encode())
        assert [f["data"] for f in drain(hub, fast)] == [{"n": n}]
    assert slow.queue.dropped == 2 and len(slow.queue) == 2
    assert not slow.cut.is_set()
    now[0] = 6.0
    tap.publish("alerts.critical", b'{"n": 4}')
    assert slow.cut.is_set() and slow.cut_reason == "behind"
    assert [f["data"] for f in drain(hub, fast)] == [{"n": 4}]
    tap.publish("alerts.critical", b'{"n": 5}')
    assert len(slow.queue) == 2  # a cut client gets nothing more
