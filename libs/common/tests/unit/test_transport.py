"""transport.py uses FastStream internals: it was checked against one FastStream version."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from ballast.common import transport
from ballast.common.subjects import subject_intersection


def test_faststream__installed_version__the_one_transport_was_checked_against() -> None:
    assert version("faststream") == transport.FASTSTREAM_CHECKED, (
        "FastStream changed: read ballast/common/transport.py again (internal paths: "
        "broker.config.connection_state.stream, faststream._internal.middlewares), then bump "
        "FASTSTREAM_CHECKED"
    )


def test_internal_paths__still_there() -> None:
    from faststream._internal.middlewares import BaseMiddleware  # noqa: PLC0415
    from faststream.nats import NatsBroker  # noqa: PLC0415

    assert hasattr(BaseMiddleware, "consume_scope")
    broker = NatsBroker()
    assert hasattr(broker.config, "connection_state")


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("prices.>", "prices.consensus.*", "prices.consensus.*"),
    ("a.*", "b.*", None),
    ("a.>", "a", None),
])
def test_subject_intersection(a: str, b: str, expected: str | None) -> None:
    assert subject_intersection(a, b) == expected


def test_permission_denied__the_servers_refusals_only() -> None:
    from nats.errors import Error  # noqa: PLC0415

    from ballast.common.transport import permission_denied  # noqa: PLC0415

    assert permission_denied(
        Error('nats: permissions violation for publish to "treasury.state"')) == "publish"
    assert permission_denied(
        Error('nats: permissions violation for subscription to "alerts.>"')) == "subscription"
    assert permission_denied(Error("nats: stale connection")) is None


def test_security__user_and_password_first__none_without_any() -> None:
    from faststream.nats import NatsUserPassword  # noqa: PLC0415

    from ballast.common.transport import security  # noqa: PLC0415

    assert security(None, None, None, None) is None
    user = security("oracle", "pw", "/x.creds", None)
    assert isinstance(user, NatsUserPassword) and user.username == "oracle"
    assert user.ssl_context is None  # a tls:// URL alone: nats-py uses the system's CAs


def test_nats_py__installed_version__the_one_facts_was_checked_against() -> None:
    from ballast.common import facts  # noqa: PLC0415

    assert version("nats-py") == facts.NATS_PY_CHECKED, (
        "nats-py changed: read ballast/common/facts.py again (Client._send_command, "
        "_flush_queue, _flush_pending, stats), then bump NATS_PY_CHECKED"
    )
