"""Signed operator commands on the decider over real Postgres: with an address identity, only a
fresh signature by that key pauses; unsigned, another key's, tampered and stale commands are
refused and recorded with the reason; a command applied once is not applied again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from eth_account import Account

from ballast.common.messages import ControlCommand, ControlVerb, ExecutionMode
from ballast.common.operators import SIGNED_COMMAND_WINDOW, sign
from ballast.intervention.adapters.repository import Repository
from ballast.intervention.app import Decider
from ballast.strategy.policy import Policy

NOW = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)
KEY = bytes.fromhex("a1" * 32)
OTHER = bytes.fromhex("b2" * 32)
ADDRESS = Account.from_key(KEY).address


def decider(repo: Repository, recorder: Any, now: datetime = NOW) -> Decider:
    return Decider(repo, Policy(), ExecutionMode.DRY_RUN, recorder,
                   operators=(ADDRESS, "ops@ballast"), clock=lambda: now)


def command(verb: ControlVerb, n: int, by: str = "olga", **kw: Any) -> ControlCommand:
    return ControlCommand(command_id=f"signed-{verb.value}-{n}", command=verb, issued_by=by,
                          issued_at=NOW + timedelta(seconds=n), **kw)


async def recorded(repo: Repository, command_id: str) -> tuple[bool, str]:
    row = await repo.pool.fetchrow(
        "SELECT accepted, detail FROM intervention_commands WHERE command_id = $1", command_id)
    assert row is not None
    return row["accepted"], row["detail"]


async def test_signed_control__address_identity__only_its_fresh_signature_pauses(
    repo: Repository, recorder: Any,
) -> None:
    core = decider(repo, recorder, NOW + timedelta(minutes=1))
    unsigned = command(ControlVerb.PAUSE, 1)
    assert (await core.on_control(unsigned)).startswith("refused: unsigned")
    by_other = sign(command(ControlVerb.PAUSE, 2), OTHER)
    assert await core.on_control(by_other) == f"refused: unknown signer {by_other.signer}"
    tampered = sign(command(ControlVerb.RESUME, 3), KEY).model_copy(
        update={"command": ControlVerb.PAUSE})
    assert (await core.on_control(tampered)).startswith("refused: bad signature")
    late = decider(repo, recorder, NOW + SIGNED_COMMAND_WINDOW + timedelta(minutes=1))
    assert (await late.on_control(sign(command(ControlVerb.PAUSE, 4), KEY))).startswith(
        "refused: expired")
    assert not await repo.paused()
    assert (await recorded(repo, unsigned.command_id))[0] is False
    assert await recorded(repo, by_other.command_id) == (
        False, f"unknown signer {by_other.signer}")

    pause = sign(command(ControlVerb.PAUSE, 5), KEY)
    assert await core.on_control(pause) == "paused"
    assert await repo.paused()
    assert await recorded(repo, pause.command_id) == (True, "paused")
    assert await core.on_control(sign(command(ControlVerb.RESUME, 6), KEY)) == "resumed"
    assert await core.on_control(pause) == "ignored: already applied"  # a replay
    assert not await repo.paused()


async def test_signed_control__name_identity__unsigned_from_the_token_name_as_before(
    repo: Repository, recorder: Any,
) -> None:
    core = decider(repo, recorder)
    assert await core.on_control(command(ControlVerb.PAUSE, 1, by="ops@ballast")) == "paused"
    again = command(ControlVerb.PAUSE, 1, by="ops@ballast")
    assert await core.on_control(again) == "ignored: already applied"
    assert await core.on_control(command(ControlVerb.RESUME, 2, by="eve")) == (
        "refused: unsigned, and not an operator identity")
    assert await repo.paused()
