from __future__ import annotations

import yaml

from ballast.common.asyncapi import render_yaml
from ballast.common.subjects import PAYLOADS
from ballast.testing.generated import assert_doc_generated


def test_asyncapi__committed_document__matches_the_code() -> None:
    assert_doc_generated("asyncapi.yaml", render_yaml())


def test_asyncapi__every_subject__is_a_channel_with_its_payload_schema() -> None:
    doc = yaml.safe_load(render_yaml())
    channels = doc["channels"]
    for pattern, model in PAYLOADS.items():
        channel = next(c for c in channels.values() if c["address"] == pattern)
        assert channel["messages"], pattern
        assert model.__name__ in doc["components"]["schemas"], model.__name__
    assert doc["components"]["schemas"]["PriceObservation"]["properties"]["price"]
