"""facts.py writes the frames nats-py's `Client.publish` would write, many at a time."""

from __future__ import annotations

from typing import Any

from nats.aio.client import Client

from ballast.common import facts


class _Wire(Client):
    """A client that is connected as far as publish can tell and keeps what it would send."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = b""

    @property
    def is_connected(self) -> bool:
        return True

    async def _send_command(self, cmd: bytes, priority: bool = False) -> None:
        del priority
        self.sent += cmd


def frames(wire: bytes) -> list[tuple[str, bytes, bytes]]:
    """(subject, headers, payload) of each HPUB frame."""
    out: list[tuple[str, bytes, bytes]] = []
    while wire:
        line, wire = wire.split(b"\r\n", 1)
        op, subject, *sizes = line.split()
        assert op == b"HPUB"
        head, total = int(sizes[-2]), int(sizes[-1])
        out.append((subject.decode(), wire[:head], wire[head:total]))
        assert wire[total:total + 2] == b"\r\n"
        wire = wire[total + 2:]
    return out


ITEMS = [("etf.events.deposit", b'{"a":1}', "0xab:0:0xcd"),
         ("etf.events.other", b"{}", "0xab:1:0xcd:removed:2"),
         ("etf.events.deposit", '{"é":"ü"}'.encode(), "id-é")]


async def test_publish_with_ids__a_batch__the_frames_client_publish_writes() -> None:
    ours, theirs = _Wire(), _Wire()
    await facts.publish_with_ids(ours, ITEMS)
    for subject, data, msg_id in ITEMS:
        await theirs.publish(subject, data, headers={
            "Nats-Msg-Id": msg_id, "content-type": "application/json"})
    assert frames(ours.sent) == frames(theirs.sent)
    assert len(frames(ours.sent)) == len(ITEMS)
    assert ours.stats["out_msgs"] == theirs.stats["out_msgs"] == len(ITEMS)
    assert ours.stats["out_bytes"] == theirs.stats["out_bytes"]


async def test_publish_with_ids__id_nats_py_rewrites__each_through_client_publish() -> None:
    calls: list[Any] = []

    class Counting(_Wire):
        async def publish(self, subject: str, payload: bytes = b"", reply: str = "",
                          headers: dict[str, str] | None = None) -> None:
            calls.append((subject, payload, headers))
            await super().publish(subject, payload, reply, headers)

    wire = Counting()
    items = [*ITEMS, ("etf.events.other", b"{}", " padded\n")]
    await facts.publish_with_ids(wire, items)
    assert [c[0] for c in calls] == [s for s, _, _ in items]
    assert frames(wire.sent)[-1][1] == (
        b"NATS/1.0\r\nNats-Msg-Id: padded\r\ncontent-type: application/json\r\n\r\n")
