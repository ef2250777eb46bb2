"""`?access_token=` leaves an HTTP request's query string for its Authorization header, so the
request span (FastAPI's telemetry records `url.query`) never carries the token."""

from __future__ import annotations

import asyncio
from typing import Any

from ballast.gateway.server import TokenQueryToHeader


def seen(scope: dict[str, Any]) -> dict[str, Any]:
    got: list[dict[str, Any]] = []

    async def app(s: dict[str, Any], _r: Any, _s: Any) -> None:
        got.append(s)

    asyncio.run(TokenQueryToHeader(app)(scope, None, None))
    return got[0]


def test_token_query__http__moved_to_the_header() -> None:
    scope = seen({"type": "http", "query_string": b"subjects=a.b&access_token=s3cret",
                  "headers": [(b"host", b"x")]})
    assert scope["query_string"] == b"subjects=a.b"
    assert (b"authorization", b"Bearer s3cret") in scope["headers"]


def test_token_query__a_bearer_header_already__header_kept_token_dropped() -> None:
    scope = seen({"type": "http", "query_string": b"access_token=s3cret",
                  "headers": [(b"authorization", b"Bearer mine")]})
    assert scope["query_string"] == b"" and scope["headers"] == [(b"authorization", b"Bearer mine")]


def test_token_query__websocket__untouched() -> None:
    scope = {"type": "websocket", "query_string": b"access_token=s3cret", "headers": []}
    assert seen(scope) == scope
