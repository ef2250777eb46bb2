"""Fuzz the alerts API on a running service (real Postgres and NATS): property-based paths,
query strings, headers and bodies on every route; any 5xx is a failure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ballast.alerts.main import AlertsApp, build_app
from ballast.alerts.settings import AlertsSettings
from ballast.testing.threaded import http_request, quote, running_in_thread

ODD = st.sampled_from([
    "", "0", "-1", "1e400", "inf", "-inf", "nan", "9" * 30, "\x00", "a\x00b", "%00", "..",
    "2026-12-05T06:00:00", "2026-12-05T06:00:00+00:00", "9999-12-31T23:59:59+00:00",
    "0001-01-01T00:00:00-23:59", "true", "1", "null", "é", "💥",
])
TEXT = ODD | st.text(max_size=12)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT)
JSON = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    TEXT, inner, max_size=3), max_leaves=8)
SILENCE = st.fixed_dictionaries({}, optional={
    "matchers": st.dictionaries(TEXT, SCALAR, min_size=1, max_size=3) | JSON,
    "expires_at": SCALAR,
    "duration_seconds": SCALAR, "id": SCALAR, "by": SCALAR, "reason": SCALAR,
})
BODY = st.one_of(
    st.none(), st.binary(max_size=32), JSON.map(lambda v: json.dumps(v).encode()),
    SILENCE.map(lambda v: json.dumps(v).encode()),
)
ROUTES = [("GET", "/alerts"), ("GET", "/alerts/history"), ("POST", "/alerts/{}/ack"),
          ("GET", "/silences"), ("POST", "/silences"), ("DELETE", "/silences/{}")]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture
def base(database_url: str, nats_server: Any, bus_namespace: str) -> Iterator[str]:
    values: dict[str, Any] = dict(
        database_url=database_url, nats_url=nats_server.url, bus_prefix=bus_namespace,
        http_host="127.0.0.1", http_port=0, heartbeat_interval_seconds=30.0,
    )
    with running_in_thread(lambda: build_app(AlertsSettings(**values))) as app:
        assert isinstance(app, AlertsApp)
        yield f"http://127.0.0.1:{app.service.ops.bound_port}"


@FUZZ
@example(route=("POST", "/silences"), segment="", query={}, user=None,
         body=b'{"matchers": {"rule": "x"}, "duration_seconds": 1e300}')
@example(route=("POST", "/silences"), segment="", query={}, user=None,
         body=b'{"matchers": {"rule": "x"}, "id": "a\\u0000b", "by": "\\u0000"}')
@given(route=st.sampled_from(ROUTES), segment=TEXT,
       query=st.dictionaries(st.sampled_from(["all", "limit", "x"]), TEXT, max_size=2),
       body=BODY, user=st.none() | TEXT.filter(lambda s: s.isprintable() and s.isascii()))
def fuzz_once(base: str, route: tuple[str, str], segment: str,
              query: dict[str, str], body: bytes | None, user: str | None) -> None:
    method, path = route
    headers = {"X-User": user} if user else {}
    qs = "&".join(f"{quote(k)}={quote(v)}" for k, v in query.items())
    url = base + path.format(quote(segment) or "k") + (f"?{qs}" if qs else "")
    status, text = http_request(method, url, body=body, headers=headers)
    assert status < 500, (method, path, segment, query, body, text[:300])


def test_alerts_api__fuzzed_requests__never_a_server_error(base: str) -> None:
    fuzz_once(base)
