"""natswire.py reaches under nats-py's protocol handling: checked against one nats-py version."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from nats.aio.client import Client
from nats.js.errors import APIError, NoStreamResponseError, NotFoundError

from ballast.common.natswire import NATS_PY_CHECKED, check_ack, header_block


def test_nats_py__installed_version__the_one_natswire_was_checked_against() -> None:
    assert version("nats-py") == NATS_PY_CHECKED, (
        "nats-py changed: read ballast/common/natswire.py again (Client._process_msg's "
        "arguments, _send_command, _flush_pending, the HPUB frame), then bump NATS_PY_CHECKED"
    )
    assert callable(Client()._process_msg)  # pyright: ignore[reportPrivateUsage]


def test_header_block__nats_version_line_then_one_line_each__line_breaks_made_spaces() -> None:
    assert header_block({"Nats-Msg-Id": " m-1 ", "x": "a\nb"}) == (
        b"NATS/1.0\r\nNats-Msg-Id: m-1\r\nx: a b\r\n\r\n")


def test_check_ack__stored__no_error() -> None:
    check_ack(b'{"stream":"PRICES","seq":7}', None)
    check_ack(b'{"stream":"PRICES","seq":7,"duplicate":true}', None)


@pytest.mark.parametrize(("answer", "status", "kind"), [
    (b"", b"NATS/1.0 503\r\n\r\n", NoStreamResponseError),
    (b'{"error":{"code":404,"err_code":10059,"description":"stream not found"}}', None,
     NotFoundError),
    (b"", b"NATS/1.0 408 Request Timeout\r\n\r\n", APIError),
])
def test_check_ack__refused__the_kind_nats_py_raised(
    answer: bytes, status: bytes | None, kind: type[Exception]
) -> None:
    with pytest.raises(kind):
        check_ack(answer, status)


def test_parse_headers__lines_and_a_status_line__as_nats_py_reads_them() -> None:
    from ballast.common.pullfeed import parse_headers  # noqa: PLC0415

    block = b"NATS/1.0\r\ntraceparent: 00-ab-cd-01\r\nk:v:w\r\nbad name: x\r\n\r\n"
    assert parse_headers(block) == {"traceparent": "00-ab-cd-01", "k": "v:w"}
    assert parse_headers(b"NATS/1.0 404 No Messages\r\n\r\n") == {
        "Status": "404", "Description": "No Messages"}
