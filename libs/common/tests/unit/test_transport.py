"""transport.py uses FastStream internals: it was checked against one FastStream version."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from ballast.common import transport
from ballast.common.subjects import subject_intersection

pytestmark = pytest.mark.unit


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
