from __future__ import annotations

import json

from ballast.gateway.api import render_openapi
from ballast.testing.generated import assert_doc_generated


def test_openapi__committed_document__matches_the_code() -> None:
    assert_doc_generated("openapi.json", render_openapi())


def test_openapi__routes__every_read_stream_and_control_path_with_bearer_auth() -> None:
    doc = json.loads(render_openapi())
    paths = set(doc["paths"])
    assert {
        "/api/v1/snapshot", "/api/v1/history/{series}", "/api/v1/interventions",
        "/api/v1/automation", "/api/v1/alerts", "/api/v1/etf/queue", "/api/v1/events",
        "/api/v1/control/{verb}",
    } <= paths
    assert "HTTPBearer" in doc["components"]["securitySchemes"]
