"""Fuzz the gateway's HTTP API from its OpenAPI document (docs/openapi.json) on a running
gateway (real Postgres and NATS): every operation, property-based path parameters, query
parameters (declared and not), tokens and bodies; any 5xx is a failure. The two long-lived
streams (SSE `/api/v1/events`, the WebSocket) are left out: they do not end."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballast.testing.generated import doc
from ballast.testing.threaded import http_request, quote

DOC = json.loads(doc("openapi.json").read_text())
STREAMS = {"/api/v1/events"}
OPERATIONS = sorted(
    (method.upper(), path, [p["name"] for p in op.get("parameters", []) if p["in"] == "query"])
    for path, ops in DOC["paths"].items() if path not in STREAMS
    for method, op in ops.items()
)
ODD = st.sampled_from([
    "", "0", "-1", "1e400", "inf", "nan", "9" * 30, "\x00", "a\x00b", "..", "%00", "*", ">",
    "prices.consensus.PSTR", "treasury.reserve_ratio", "1h", "30d", "-5m", "99999999d", "0s",
    "2026-12-05T06:00:00Z", "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00",
    "markdown", "json", "risk", "performance", "liquidity", "pause", "resume", "approve",
    "silence", "true", "é", "💥",
])
TEXT = ODD | st.text(max_size=12)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT)
JSON = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    TEXT, inner, max_size=3), max_leaves=8)
CONTROL = st.fixed_dictionaries({}, optional={
    "decision_id": SCALAR, "duration_seconds": SCALAR | st.integers(min_value=2**62),
    "matchers": st.dictionaries(TEXT, TEXT, max_size=2) | JSON, "reason": SCALAR,
    "target": SCALAR,
})
BODY = st.one_of(st.none(), st.binary(max_size=32), JSON.map(json.dumps).map(str.encode),
                 CONTROL.map(json.dumps).map(str.encode))
VIEWER_TOKEN, OPERATOR_TOKEN = "viewer-token-for-tests", "operator-token-for-tests"  # conftest's
TOKEN = st.sampled_from([None, VIEWER_TOKEN, OPERATOR_TOKEN, "wrong", ""])
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(operation=st.sampled_from(OPERATIONS), data=st.data(), token=TOKEN, body=BODY)
def fuzz_once(base: str, operation: tuple[str, str, list[str]], data: st.DataObject,
              token: str | None, body: bytes | None) -> None:
    method, template, declared = operation
    path = template
    while "{" in path:
        name = path[path.index("{") + 1:path.index("}")]
        path = path.replace("{" + name + "}", quote(data.draw(TEXT, name)) or "x")
    names = st.sampled_from([*declared, "x"]) if declared else st.just("x")
    query = data.draw(st.dictionaries(names, TEXT, max_size=3), "query")
    qs = "&".join(f"{quote(k)}={quote(v)}" for k, v in query.items())
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    status, text = http_request(method, base + path + (f"?{qs}" if qs else ""),
                                body=body if method == "POST" else None, headers=headers)
    assert status < 500, (method, path, query, body, text[:300])


def test_gateway_api__fuzzed_requests_from_the_openapi_document__never_a_server_error(
    api_in_thread: str,
) -> None:
    fuzz_once(api_in_thread)
