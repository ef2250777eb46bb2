"""The live stream over real NATS (JetStream) and a real HTTP server: WebSocket and SSE."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from typing import Any

import aiohttp
import pytest

from ballast.common.observability import JsonFormatter


async def test_stream__consensus_before_and_after_connect__latest_within_2s_then_all_in_order(
    harness: Any,
) -> None:
    await harness.publish("prices.consensus.PSTR", harness.consensus("PSTR", 1, "0.9"))
    await harness.publish("prices.consensus.PSTR", harness.consensus("PSTR", 2, "1.0"))
    await harness.publish("prices.consensus.CORE", harness.consensus("CORE", 7, "1.5"))
    async with aiohttp.ClientSession() as http, http.ws_connect(
        harness.ws_url("prices.consensus.*"), headers=harness.viewer
    ) as ws:
        started = time.monotonic()
        first = [json.loads((await ws.receive(timeout=2.0)).data) for _ in range(2)]
        assert time.monotonic() - started < 2.0
        latest = {f["subject"]: f["data"]["sequence"] for f in first}
        assert latest == {"prices.consensus.PSTR": 2, "prices.consensus.CORE": 7}
        sent = [harness.consensus("PSTR", n, f"1.{n}") for n in range(3, 53)]
        for message in sent:
            await harness.publish("prices.consensus.PSTR", message)
        got = [json.loads((await ws.receive(timeout=5.0)).data) for _ in sent]
    assert [f["data"]["sequence"] for f in got] == list(range(3, 53))
    assert got[0]["data"] == json.loads(sent[0].model_dump_json())  # the bus payload, unchanged
    assert {f["subject"] for f in got} == {"prices.consensus.PSTR"}
    assert all(f["received_at"].endswith("+00:00") for f in got)


async def test_stream__overlapping_filters__each_message_once(harness: Any) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(
        harness.ws_url("prices.consensus.PSTR,prices.>"), headers=harness.viewer
    ) as ws:
        await asyncio.sleep(0.2)
        await harness.publish("prices.consensus.PSTR", harness.consensus("PSTR", 1))
        await harness.publish("prices.consensus.CORE", harness.consensus("CORE", 2))
        got = [json.loads((await ws.receive(timeout=5.0)).data)["subject"] for _ in range(2)]
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive(timeout=0.5)
    assert sorted(got) == ["prices.consensus.CORE", "prices.consensus.PSTR"]


async def test_stream__no_token_or_forbidden_subject__refused_before_any_data(
    harness: Any,
) -> None:
    await harness.publish("prices.consensus.PSTR", harness.consensus("PSTR", 1))
    url = harness.ws_url("prices.consensus.*")
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as no_token:
            await http.ws_connect(url)
        assert no_token.value.status == 403
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(url, headers={"Authorization": "Bearer wrong"})
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(harness.ws_url("control.*"), headers=harness.viewer)
        async with http.get(f"{harness.base}/api/v1/events?subjects=prices.>") as resp:
            assert resp.status == 401
        async with http.get(
            f"{harness.base}/api/v1/events?subjects=deadletter.>", headers=harness.viewer
        ) as resp:
            assert resp.status == 403
        async with http.ws_connect(
            harness.ws_url("control.*"), headers=harness.operator
        ) as ws:
            assert not ws.closed


async def test_stream__token_in_query__never_in_the_logs(harness: Any) -> None:
    token = harness.viewer["Authorization"].removeprefix("Bearer ")
    url = harness.ws_url("prices.consensus.*") + f"&access_token={token}"
    lines: list[str] = []
    formatter = JsonFormatter("gateway")

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(formatter.format(record))

    logger = logging.getLogger("uvicorn.error")
    keep = Keep()
    logger.addHandler(keep)
    logger.setLevel(logging.DEBUG)  # as talkative as uvicorn gets
    try:
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
            await harness.publish("prices.consensus.PSTR", harness.consensus("PSTR", 1))
            await ws.receive(timeout=5.0)
    finally:
        logger.setLevel(logging.WARNING)
        logger.removeHandler(keep)
    assert any("WebSocket" in line for line in lines), lines  # it logged the connection ...
    assert not [line for line in lines if token in line]  # ... without the token


async def test_events__sse_with_query_token__latest_then_live_frames(harness: Any) -> None:
    await harness.publish("treasury.state", b'{"schema_version": 1, "x": "1.50"}')
    token = harness.viewer["Authorization"].removeprefix("Bearer ")
    url = f"{harness.base}/api/v1/events?subjects=treasury.state&access_token={token}"
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        first = await _sse_frame(resp)
        await harness.publish("treasury.state", b'{"schema_version": 1, "x": "2.00"}')
        second = await _sse_frame(resp)
    assert first["data"] == {"schema_version": 1, "x": "1.50"}
    assert second["data"] == {"schema_version": 1, "x": "2.00"}
    assert second["subject"] == "treasury.state"


async def _sse_frame(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    async with asyncio.timeout(5.0):
        while True:
            line = (await resp.content.readline()).decode().strip()
            if line.startswith("data: "):
                return json.loads(line.removeprefix("data: "))


async def test_stream__client_that_never_reads__cut_and_second_client_keeps_pace(
    gateway_factory: Any,
) -> None:
    h = await gateway_factory(stream_queue_size=16, stream_max_behind_seconds=1.0)
    try:
        stuck = await _never_reading_client(h.gateway.api_port, h.viewer["Authorization"])
        async with aiohttp.ClientSession() as http, http.ws_connect(
            h.ws_url("prices.consensus.*"), headers=h.viewer
        ) as ws:
            await h.eventually(lambda: len(h.gateway.hub.clients) == 2)
            padding = "x" * 20_000  # big frames fill the stuck client's socket buffers fast
            delays: list[float] = []
            for n in range(400):
                body = json.loads(h.consensus("PSTR", n).model_dump_json())
                body["reasons"] = [padding]
                sent = time.monotonic()
                await h.publish("prices.consensus.PSTR", json.dumps(body).encode())
                frame = json.loads((await ws.receive(timeout=5.0)).data)
                delays.append(time.monotonic() - sent)
                assert frame["data"]["sequence"] == n
                if n % 50 == 0:
                    await asyncio.sleep(0.3)  # let the stuck client's lag pass the limit
            await h.eventually(lambda: len(h.gateway.hub.clients) == 1, within=5.0)
        metrics = await _text(f"{h.ops}/metrics")
        assert 'ballast_gateway_stream_clients_cut_total{reason="behind"} 1.0' in metrics
        dropped = _sample(metrics, "ballast_gateway_stream_frames_dropped_total")
        assert dropped > 0
        assert max(delays) < 1.0, f"the reading client waited {max(delays):.2f}s for a frame"
        stuck.close()
    finally:
        await h.nc.drain()
        await h.gateway.stop()


async def _never_reading_client(port: int, authorization: str) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", port))
    request = (
        "GET /api/v1/stream?subjects=prices.consensus.* HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        f"Authorization: {authorization}\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    head = await asyncio.wait_for(loop.sock_recv(sock, 256), 5.0)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock  # and never read again


async def _text(url: str) -> str:
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        return await resp.text()


def _sample(metrics: str, name: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")
