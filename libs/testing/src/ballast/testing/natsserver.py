"""Per-test bus namespaces on a shared NATS server, and their clean-up.

DESIGN.md "The bus": `ballast.common.subjects.Namespace` prefixes subjects with `<prefix>.` and
streams with `<PREFIX>_`. Starting a server lives in `ballast.devstack.nats`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from ballast.devstack.nats import (
    NatsServer,
    nats_server_binary,
    require_jetstream,
    run_nats_server,
    server_info,
)

if TYPE_CHECKING:
    from nats.aio.client import Client as NATS

__all__ = [
    "NatsServer",
    "delete_namespace",
    "nats_server_binary",
    "owned_by",
    "require_jetstream",
    "run_nats_server",
    "server_info",
    "stream_names",
]


# ------------------------------------------------------------------------------ namespaces
def owned_by(prefix: str, stream: str) -> bool:
    """Whether a stream belongs to namespace `prefix`: its own streams, KV buckets, object stores.

    Namespace streams are `<PREFIX>_NAME` (upper-cased), KV buckets are streams `KV_<bucket>` and
    object stores `OBJ_<bucket>`, where services name buckets after the prefix. Case-insensitive.
    """
    p, s = prefix.upper(), stream.upper()
    return any(s.startswith(head + p) for head in ("", "KV_", "OBJ_"))


async def stream_names(nc: NATS) -> list[str]:
    """Every JetStream stream name on the server (all pages of $JS.API.STREAM.NAMES)."""
    names: list[str] = []
    while True:
        reply = await nc.request(
            "$JS.API.STREAM.NAMES", json.dumps({"offset": len(names)}).encode(), timeout=5
        )
        page = cast(dict[str, Any], json.loads(reply.data))
        if "error" in page:
            raise RuntimeError(f"listing JetStream streams: {page['error']}")
        batch = cast(list[str], page.get("streams") or [])
        names += batch
        if not batch or len(names) >= int(page.get("total", 0)):
            return names


async def delete_namespace(url: str, prefix: str) -> list[str]:
    """Delete every stream and KV/object bucket of namespace `prefix`; returns what it deleted."""
    from nats.aio.client import Client

    nc = Client()
    await nc.connect(url, connect_timeout=2, allow_reconnect=False)
    try:
        doomed = [name for name in await stream_names(nc) if owned_by(prefix, name)]
        for name in doomed:
            reply = await nc.request(f"$JS.API.STREAM.DELETE.{name}", b"", timeout=5)
            error = cast(dict[str, Any], json.loads(reply.data)).get("error")
            # 404: deleted concurrently (by the test itself, or by the session's sweep)
            if error and error.get("code") != 404:
                raise RuntimeError(f"deleting stream {name} at {url}: {error}")
    finally:
        await nc.close()
    return doomed
