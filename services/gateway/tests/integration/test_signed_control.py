"""Signed control commands through a real gateway over real NATS and Postgres: a good signature is
published unchanged (with the token's name as issued_by), a tampered, stale, half or repeated one
is refused with its reason and nothing reaches the bus."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from ballast.common.messages import ControlCommand, ControlVerb, utcnow
from ballast.common.operators import SIGNED_COMMAND_WINDOW, recover, sign

KEY = bytes.fromhex("42" * 32)


def signed(verb: ControlVerb = ControlVerb.SILENCE, **fields: Any) -> ControlCommand:
    now = utcnow().replace(microsecond=0)
    base: dict[str, Any] = {
        "command_id": f"signed-{verb.value}-{now.timestamp():.0f}", "command": verb,
        "issued_by": "whoever", "issued_at": now, "reason": "drill",
        "matchers": {"rule": "oracle_deviation"} if verb is ControlVerb.SILENCE else {},
        "expires_at": now + timedelta(minutes=30) if verb is ControlVerb.SILENCE else None,
    }
    return sign(ControlCommand(**{**base, **fields}), KEY)


def body(cmd: ControlCommand, **override: Any) -> dict[str, Any]:
    doc = cmd.model_dump(mode="json", include={"command_id", "issued_at", "signer", "signature",
                                                "target", "decision_id", "matchers", "reason"})
    if cmd.expires_at is not None:
        doc["duration_seconds"] = int((cmd.expires_at - cmd.issued_at).total_seconds())
    return {**doc, **override}


async def post(harness: Any, verb: str, doc: dict[str, Any]) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.post(
        f"{harness.base}/api/v1/control/{verb}", headers=harness.operator, json=doc
    ) as resp:
        return resp.status, await resp.json()


async def published(harness: Any) -> list[ControlCommand]:
    """Every command the gateway publishes from now on, as it arrives."""
    seen: list[ControlCommand] = []

    async def add(msg: Any) -> None:
        seen.append(ControlCommand.model_validate_json(msg.data))

    await harness.nc.subscribe(harness.ns.subject("control.*"), cb=add)
    return seen


async def test_signed_control__good_signature__published_unchanged_issued_by_the_token(
    harness: Any,
) -> None:
    seen = await published(harness)
    cmd = signed()
    status, answer = await post(harness, "silence", body(cmd))
    assert status == 200, answer
    await harness.eventually(lambda: len(seen) == 1)
    (got,) = seen
    assert got.issued_by == "olga"
    assert got.model_dump(exclude={"issued_by"}) == cmd.model_dump(exclude={"issued_by"})
    assert recover(got) == cmd.signer
    status, answer = await post(harness, "silence", body(cmd))
    assert (status, answer["detail"]) == (409, f"command {cmd.command_id} was already sent")
    await asyncio.sleep(0.3)
    assert len(seen) == 1


@pytest.fixture
async def roomy(gateway_factory: Any) -> AsyncIterator[Any]:
    """A gateway whose rate limit lets one test post a dozen refusals."""
    h = await gateway_factory(control_burst=20)
    yield h
    await h.nc.drain()
    await h.gateway.stop()


async def test_signed_control__tampered_stale_or_half__422_with_the_reason(roomy: Any) -> None:
    harness = roomy
    seen = await published(harness)
    pause = signed(ControlVerb.PAUSE, target="intervention")
    status, answer = await post(harness, "pause", body(pause, target="oracle"))
    assert (status, answer["detail"]) == (
        422, f"bad signature: it does not recover to {pause.signer}")
    status, answer = await post(harness, "resume", body(pause))  # another verb, same signature
    assert status == 422 and answer["detail"].startswith("bad signature")
    silence = signed()
    status, answer = await post(harness, "silence", body(silence, duration_seconds=3600))
    assert status == 422 and answer["detail"].startswith("bad signature")
    old = signed(ControlVerb.PAUSE, issued_at=pause.issued_at - SIGNED_COMMAND_WINDOW
                 - timedelta(minutes=1))
    status, answer = await post(harness, "pause", body(old))
    assert status == 422 and answer["detail"].startswith("expired")
    status, answer = await post(harness, "pause", body(pause, signature=None))
    assert (status, answer["detail"]) == (422, "bad signature: signer and signature go together")
    status, answer = await post(harness, "pause", body(pause, command_id=None))
    assert status == 422 and "its own command_id and issued_at" in answer["detail"]
    status, answer = await post(harness, "pause", {"command_id": "mine", "issued_at":
                                                   pause.issued_at.isoformat()})
    assert (status, answer["detail"]) == (
        400, "command_id and issued_at come only with a signature")
    late = body(signed(), issued_at="9999-12-31T23:00:00Z", duration_seconds=7200)
    status, answer = await post(harness, "silence", late)
    assert (status, answer["detail"]) == (400, "issued_at + duration_seconds is past the year 9999")
    status, _ = await post(harness, "pause", body(pause, signature="0xnot-hex"))
    assert status == 422  # the body's own validation
    await asyncio.sleep(0.3)
    assert seen == []
    db = harness.gateway.service.db
    assert await db.fetchval("SELECT count(*) FROM gateway_control_commands") == 0
