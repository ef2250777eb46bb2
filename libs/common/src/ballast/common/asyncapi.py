"""The AsyncAPI document of the whole bus, generated from the code (subjects.PAYLOADS).

FastStream builds the specification (`faststream docs gen ballast.common.asyncapi:app` shows the
same content); `make docs` writes it with sorted keys into docs/asyncapi.yaml, because FastStream
orders channels by set iteration, which changes with the hash seed. A test fails when the
committed file is stale. A new consumer can be written from it alone:
every subject pattern, its payload schema (pydantic v2 JSON schema), and the stream keeping it.
"""

from __future__ import annotations

import inspect
import sys

import yaml
from faststream import FastStream
from faststream.nats import NatsBroker
from faststream.specification import AsyncAPI

from ballast.common.messages import SCHEMA_VERSION
from ballast.common.subjects import PAYLOADS, stream_for

DESCRIPTION = (
    "The Ballast bus: every subject, its payload and the JetStream stream that keeps it. "
    "Amounts are decimal strings or integer base units (never float); times are RFC 3339 UTC; "
    "every payload has schema_version; unknown fields are ignored by consumers. A message that "
    "fails validation is moved to deadletter.<original subject>. In subject patterns `*` is one "
    "token (a symbol, a source, a severity...) and `>` one or more."
)


def build_broker() -> NatsBroker:
    broker = NatsBroker(apply_types=False)
    for pattern, model in PAYLOADS.items():
        concrete = pattern.replace(">", "x").replace("*", "x")
        stream = stream_for(concrete)
        doc = inspect.cleandoc(model.__doc__ or model.__name__).split("\n\n")[0]
        broker.publisher(
            pattern,
            schema=model,
            title=pattern,
            description=f"{doc} Kept by stream {stream.name} ({stream.description}).",
        )
    return broker


specification = AsyncAPI(
    build_broker(),
    title="Ballast bus",
    version=f"schema {SCHEMA_VERSION}",
    description=DESCRIPTION,
)
app = FastStream(specification.brokers[0], specification=specification)


def render_yaml() -> str:
    """The specification as YAML with sorted keys: the same bytes on every run."""
    data = specification.to_specification().to_jsonable()
    return yaml.safe_dump(data, sort_keys=True, allow_unicode=True, width=100)


if __name__ == "__main__":
    sys.stdout.write(render_yaml())
