from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ballast.common.messages import ControlVerb
from ballast.gateway.domain.client_queue import ClientQueue
from ballast.gateway.domain.control import ControlError, ControlRequest, build_command
from ballast.gateway.domain.frames import encode_frame
from ballast.gateway.domain.queue import QueuedRequest, queue_positions
from ballast.gateway.domain.ratelimit import RateLimiter
from ballast.gateway.domain.series import QueryError, parse_duration, parse_series, window

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_client_queue__full__oldest_dropped_and_counted() -> None:
    q = ClientQueue(2)
    assert not q.push("a", 0.0) and not q.push("b", 0.0)
    assert q.push("c", 0.0)
    assert q.dropped == 1
    assert q.take(0.1) == "b" and q.take(0.1) == "c" and q.take(0.1) is None


def test_client_queue__writer_stuck__behind_grows_until_a_send_finishes() -> None:
    q = ClientQueue(4)
    assert q.behind_seconds(5.0) == 0.0
    q.push("a", 1.0)
    q.push("b", 1.5)
    assert q.take(2.0) == "a"
    assert q.behind_seconds(9.0) == 7.0  # the send of "a" never finished
    q.sent(9.0)
    assert q.behind_seconds(9.5) == 0.5  # "b" still waits
    assert q.take(9.5) == "b"
    q.sent(9.6)
    assert q.behind_seconds(20.0) == 0.0  # idle


def test_encode_frame__json_payload__embedded_byte_for_byte() -> None:
    frame = encode_frame("a.b", b'{"price":"1.10","x":[1]}', T0)
    assert frame == '{"subject":"a.b","data":{"price":"1.10","x":[1]},' \
        '"received_at":"2026-11-22T12:00:00+00:00"}'
    assert '"data":"not json"' in encode_frame("a", b"not json", T0)


def test_queue_positions__fifo_per_asset__position_and_wait() -> None:
    def req(i: int, asset: str, ready_in: int) -> QueuedRequest:
        return QueuedRequest(i, "0xabc", asset, 10, 10, T0 + timedelta(seconds=ready_in))

    entries = queue_positions(
        [req(1, "0", 100), req(2, "1", -5), req(3, "0", 200), req(4, "0", 300)], [1], T0
    )
    assert [(e.request.request_id, e.position, e.expected_wait_seconds) for e in entries] == [
        (2, 1, 0), (3, 1, 200), (4, 2, 300)
    ]


def test_window__defaults_and_limits__clear_errors() -> None:
    w = window(None, None, None, T0, 100)
    assert w.end == T0 and w.start == T0 - timedelta(hours=24) and w.step * 100 >= w.end - w.start
    assert parse_duration("5m") == timedelta(minutes=5)
    assert parse_duration("90") == timedelta(seconds=90)
    for bad in ("0s", "5w", "-1m"):
        with pytest.raises(QueryError):
            parse_duration(bad)
    with pytest.raises(QueryError, match="before"):
        window(T0, T0, None, T0, 100)
    with pytest.raises(QueryError, match="step too small"):
        window(T0 - timedelta(days=1), T0, "1s", T0, 100)
    assert parse_series("price.PSTR").symbol == "PSTR"
    with pytest.raises(QueryError):
        parse_series("price.a b")


def test_build_command__each_verb__needs_its_fields() -> None:
    cmd = build_command("pause", ControlRequest(target="intervention"), "olga", T0)
    assert (cmd.command, cmd.issued_by, cmd.target) == (ControlVerb.PAUSE, "olga", "intervention")
    silence = build_command("silence", ControlRequest(matchers={"rule": "x"}), "olga", T0)
    assert silence.expires_at == T0 + timedelta(hours=2)
    ack = build_command("ack", ControlRequest(target="rule|PSTR"), "olga", T0)
    assert (ack.command, ack.target, ack.expires_at) == (ControlVerb.ACK, "rule|PSTR", None)
    for verb, req in (("approve", ControlRequest()), ("silence", ControlRequest()),
                      ("ack", ControlRequest()), ("silence", ControlRequest(target="k",
                                                                              duration_seconds=10**7))):
        with pytest.raises(ControlError):
            build_command(verb, req, "olga", T0)


def test_rate_limiter__burst_then_rate__per_caller() -> None:
    limiter = RateLimiter(per_minute=60, burst=2)
    assert limiter.allow("a", 0.0) and limiter.allow("a", 0.0)
    assert not limiter.allow("a", 0.0)
    assert limiter.allow("b", 0.0)
    assert limiter.allow("a", 1.0)  # one per second refills


def test_window__span_not_a_multiple_of_the_points__default_step_fits() -> None:
    start = T0 - timedelta(seconds=3600, microseconds=123)
    w = window(start, T0, None, T0, 100)
    assert (T0 - start) / w.step <= 100
