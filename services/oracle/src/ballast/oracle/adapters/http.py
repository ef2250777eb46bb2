"""Shared HTTP plumbing for the REST sources: one GET with timeout and error mapping, and a
server-sent-events line reader that tolerates long lines (Hermes puts KBs of hex on one)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp

from ballast.oracle.adapters.base import SourceError, loads_exact

MAX_BODY = 4 << 20  # a price payload is KBs; anything this big is garbage


async def get_json(
    session: aiohttp.ClientSession,
    url: str,
    *,
    params: list[tuple[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout_s: float = 5.0,
) -> Any:
    """GET and decode JSON (numbers exact). Every failure becomes a SourceError."""
    try:
        async with session.get(
            url, params=params, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout_s)
        ) as resp:
            if resp.status != 200:
                raise SourceError("http", f"HTTP {resp.status} from {url}")
            body = await resp.content.read(MAX_BODY + 1)
    except TimeoutError:
        raise SourceError("timeout", f"no answer from {url} within {timeout_s}s") from None
    except aiohttp.ClientError as err:
        raise SourceError("connect", f"{type(err).__name__}: {err}") from None
    if len(body) > MAX_BODY:
        raise SourceError("malformed", "response too large")
    try:
        return loads_exact(body.decode())
    except (UnicodeDecodeError, ValueError) as err:
        raise SourceError("malformed", f"not JSON: {str(err)[:80]}") from None


async def sse_data(content: aiohttp.StreamReader) -> AsyncIterator[str]:
    """The `data:` payload of each server-sent event (multi-line data joined with newlines).

    Comment lines (`:` keep-alives) and other fields are skipped. Ends when the server closes;
    an event cut off by the close (no blank line yet) is discarded, as the SSE spec says.
    """
    buffer = b""
    data: list[str] = []
    async for chunk in content.iter_any():
        buffer += chunk
        if len(buffer) > MAX_BODY:
            raise SourceError("malformed", "event stream line too long")
        *lines, buffer = buffer.split(b"\n")
        for raw in lines:
            line = raw.rstrip(b"\r").decode(errors="replace")
            if not line:
                if data:
                    yield "\n".join(data)
                    data = []
            elif line.startswith("data:"):
                value = line[5:]
                data.append(value[1:] if value.startswith(" ") else value)  # one space only
        await asyncio.sleep(0)
