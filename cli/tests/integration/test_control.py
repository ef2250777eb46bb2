"""`ballast control` against a real gateway over real NATS and Postgres: the command that arrives
on `control.<verb>`, the gateway's refusals, and an intervention service that pauses on it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import nats
import pytest
from eth_account import Account

from ballast.cli.main import main
from ballast.common import subjects
from ballast.common.messages import ControlCommand
from ballast.common.subjects import Namespace
from ballast.gateway.domain.access import Role, TokenEntry, TokenTable, hash_token
from ballast.gateway.main import Gateway, build_app
from ballast.gateway.settings import GatewaySettings
from ballast.testing.waiting import eventually

OPERATOR_TOKEN = "operator-token-for-cli-tests"
VIEWER_TOKEN = "viewer-token-for-cli-tests"
SIGNER_KEY = bytes.fromhex("5e" * 32)
OTHER_KEY = bytes.fromhex("07" * 32)


class Stack:
    def __init__(self, gateway: Gateway, nc: nats.NATS, ns: Namespace) -> None:
        self.gateway, self.nc, self.ns = gateway, nc, ns
        self.seen: list[ControlCommand] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.gateway.api_port}"

    async def on(self, msg: Any) -> None:
        self.seen.append(ControlCommand.model_validate_json(msg.data))


@pytest.fixture
async def stack(database_url: str, nats_server: Any, bus_namespace: str) -> AsyncIterator[Stack]:
    settings = GatewaySettings(
        database_url=database_url, nats_url=nats_server.url, bus_prefix=bus_namespace,
        http_host="127.0.0.1", http_port=0, api_host="127.0.0.1", api_port=0,
        control_burst=20)  # a test sends up to a dozen commands at once
    tokens = TokenTable([
        TokenEntry("olga", Role.OPERATOR, hash_token(OPERATOR_TOKEN).removeprefix("sha256:")),
        TokenEntry("vera", Role.VIEWER, hash_token(VIEWER_TOKEN).removeprefix("sha256:")),
    ])
    gateway = build_app(settings, tokens=tokens)
    await gateway.start()
    nc = await nats.connect(nats_server.url)
    s = Stack(gateway, nc, Namespace(bus_namespace))
    await nc.subscribe(s.ns.subject(subjects.CONTROL_ALL), cb=s.on)
    yield s
    await nc.drain()
    await gateway.stop()


async def ballast(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """The real `ballast` entry point, in a thread (the gateway serves on this loop)."""
    def run() -> int:
        try:
            main(argv)
        except SystemExit as done:
            return int(done.code or 0)
        return 0

    code = await asyncio.to_thread(run)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def operator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALLAST_TOKEN", OPERATOR_TOKEN)


@pytest.mark.usefixtures("operator")
async def test_control__each_verb__command_on_the_bus_issued_by_the_token_name(
    stack: Stack, capsys: pytest.CaptureFixture[str],
) -> None:
    base = ["control", "--gateway-url", stack.url]
    code, out, _ = await ballast([*base, "pause", "--target", "intervention",
                                  "--reason", "drill"], capsys)
    assert code == 0
    await eventually(lambda: len(stack.seen) == 1)
    pause = stack.seen[0]
    assert (pause.command.value, pause.issued_by, pause.target, pause.reason) == (
        "pause", "olga", "intervention", "drill")
    assert pause.command_id in out and "CONTROL" in out
    assert OPERATOR_TOKEN not in out

    assert (await ballast([*base, "approve", "dec-42"], capsys))[0] == 0
    assert (await ballast([*base, "silence", "--match", "rule=oracle_deviation", "--match",
                           "source=dex_twap", "--for", "30m"], capsys))[0] == 0
    assert (await ballast([*base, "ack", "oracle_stale|PSTR"], capsys))[0] == 0
    assert (await ballast([*base, "resume"], capsys))[0] == 0
    await eventually(lambda: len(stack.seen) == 5)
    approve, silence, ack, resume = stack.seen[1:]
    assert (approve.command.value, approve.decision_id, approve.issued_by) == (
        "approve", "dec-42", "olga")
    assert silence.matchers == {"rule": "oracle_deviation", "source": "dex_twap"}
    assert silence.expires_at is not None
    assert silence.expires_at - silence.issued_at == timedelta(minutes=30)
    assert (ack.command.value, ack.target) == ("ack", "oracle_stale|PSTR")
    assert (resume.command.value, resume.issued_by) == ("resume", "olga")


async def test_control__refused_or_unusable__non_zero_reason_and_no_token_shown(
    stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = ["control", "--gateway-url", stack.url]
    monkeypatch.setenv("BALLAST_TOKEN", "not-a-token-anyone-has")
    code, out, err = await ballast([*base, "pause"], capsys)
    assert code == 1 and "401" in err and "a valid bearer token is required" in err
    assert "not-a-token-anyone-has" not in out + err
    monkeypatch.setenv("BALLAST_TOKEN", VIEWER_TOKEN)
    code, out, err = await ballast([*base, "resume"], capsys)
    assert code == 1 and "403" in err and "operator token" in err
    assert VIEWER_TOKEN not in out + err
    monkeypatch.setenv("BALLAST_TOKEN", OPERATOR_TOKEN)
    code, _, err = await ballast([*base, "silence", "--match", "rule=x", "--for", "8d"], capsys)
    assert code == 1 and "400" in err and "at most 7 days" in err  # the gateway's reason
    code, _, err = await ballast([*base, "silence"], capsys)
    assert code == 1 and "silence needs matchers" in err
    code, _, err = await ballast([*base, "explode"], capsys)
    assert code == 2 and "invalid choice: 'explode'" in err
    code, _, err = await ballast([*base, "approve"], capsys)
    assert code == 2 and "decision_id" in err
    code, _, err = await ballast([*base, "silence", "--match", "rule"], capsys)
    assert code == 2 and "LABEL=VALUE" in err
    code, _, err = await ballast(["control", "--gateway-url", "http://127.0.0.1:9", "pause"],
                                 capsys)
    assert code == 1 and "cannot reach the gateway at http://127.0.0.1:9" in err
    monkeypatch.delenv("BALLAST_TOKEN")
    code, _, err = await ballast([*base, "pause"], capsys)
    assert code == 2 and "BALLAST_TOKEN" in err
    await asyncio.sleep(0.3)
    assert stack.seen == []


@pytest.mark.usefixtures("operator")
async def test_control__pause_then_resume__intervention_service_applies_them(
    stack: Stack, capsys: pytest.CaptureFixture[str], database_url: str, nats_server: Any,
    bus_namespace: str,
) -> None:
    from ballast.intervention.main import build_app as intervention  # noqa: PLC0415
    from ballast.intervention.settings import InterventionSettings  # noqa: PLC0415

    app = intervention(InterventionSettings(
        database_url=database_url, nats_url=nats_server.url, bus_prefix=bus_namespace,
        http_port=0, executor_enabled=False, operator_identities=("olga",)))
    await app.start()
    try:
        base = ["control", "--gateway-url", stack.url]
        paused = app.repo.paused
        assert not await paused()
        assert (await ballast([*base, "pause", "--reason", "drill"], capsys))[0] == 0
        await eventually(lambda: len(stack.seen) == 1)
        await _until(paused, True)
        assert (await ballast([*base, "resume"], capsys))[0] == 0
        await _until(paused, False)
    finally:
        await app.stop()


@pytest.mark.usefixtures("operator")
async def test_control__signed_with_a_keystore__only_the_configured_key_pauses(
    stack: Stack, capsys: pytest.CaptureFixture[str], database_url: str, nats_server: Any,
    bus_namespace: str, tmp_path: Path,
) -> None:
    from ballast.intervention.main import build_app as intervention  # noqa: PLC0415
    from ballast.intervention.settings import InterventionSettings  # noqa: PLC0415

    password = "correct horse battery staple"  # noqa: S105 - a test keystore's
    (tmp_path / "pw").write_text(password + "\n")
    for name, key in (("ops", SIGNER_KEY), ("other", OTHER_KEY)):
        (tmp_path / name).write_text(json.dumps(Account.encrypt(key, password, iterations=2)))
    address = Account.from_key(SIGNER_KEY).address
    app = intervention(InterventionSettings(
        database_url=database_url, nats_url=nats_server.url, bus_prefix=bus_namespace,
        http_port=0, executor_enabled=False, operator_identities=(address,)))
    await app.start()
    try:
        base = ["control", "--gateway-url", stack.url]

        def signed(keystore: str) -> list[str]:
            return ["--keystore", str(tmp_path / keystore), "--password-file", str(tmp_path / "pw")]

        assert (await ballast([*base, "pause", "--reason", "unsigned"], capsys))[0] == 0
        code, out, _ = await ballast([*base, "pause", *signed("other")], capsys)
        assert code == 0 and "signed by 0x" in out
        await eventually(lambda: len(stack.seen) == 2)
        answers = await _answers(app, [c.command_id for c in stack.seen])
        assert answers == [(False, "unsigned: the operator identities are addresses (sign with "
                                   "--keystore)"),
                           (False, f"unknown signer {stack.seen[1].signer}")]
        assert not await app.repo.paused()

        code, out, err = await ballast([*base, "pause", "--reason", "drill", *signed("ops")],
                                       capsys)
        assert code == 0 and f"signed by {address}" in out
        assert password not in out + err and SIGNER_KEY.hex() not in out + err
        await _until(app.repo.paused, True)
        pause = stack.seen[2]
        assert (pause.signer, pause.issued_by, pause.reason) == (address, "olga", "drill")
        assert (await _answers(app, [pause.command_id]))[0] == (True, "paused")
        for verb in (["silence", "--match", "rule=oracle_deviation"],  # the default 2 h
                     ["silence", "--target", "oracle_stale|PSTR", "--for", "30m"],
                     ["approve", "dec-7", "--target", "oracle", "--match", "symbol=PSTR"],
                     ["ack", "oracle_stale|PSTR"]):
            assert (await ballast([*base, *verb, *signed("ops")], capsys))[0] == 0, verb
        await eventually(lambda: len(stack.seen) == 7)
        assert {c.signer for c in stack.seen[3:]} == {address}
        assert stack.seen[3].expires_at == stack.seen[3].issued_at + timedelta(hours=2)
        code, _, err = await ballast([*base, "pause", "--keystore", str(tmp_path / "ops"),
                                      "--password-file", str(tmp_path / "other")], capsys)
        assert code == 1 and "wrong password" in err
    finally:
        await app.stop()


async def _answers(app: Any, command_ids: list[str]) -> list[tuple[bool, str]]:
    """The intervention service's record of each command: accepted, and why (waits for it)."""
    async with asyncio.timeout(15):
        while True:
            found = await app.repo.pool.fetch(
                "SELECT command_id, accepted, detail FROM intervention_commands")
            rows = {r["command_id"]: (r["accepted"], r["detail"]) for r in found}
            if all(c in rows for c in command_ids):
                return [rows[c] for c in command_ids]
            await asyncio.sleep(0.05)


async def _until(paused: Any, value: bool, within: float = 15.0) -> None:
    async with asyncio.timeout(within):
        while await paused() is not value:
            await asyncio.sleep(0.05)


def test_gateway_url_and_token__local_stack_file_only_for_the_local_gateway(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ballast.cli.control import gateway_url, operator_token  # noqa: PLC0415

    monkeypatch.delenv("BALLAST_TOKEN", raising=False)
    monkeypatch.delenv("BALLAST_GATEWAY_URL", raising=False)
    assert gateway_url(None, tmp_path) == ("http://127.0.0.1:8080", False)
    (tmp_path / "gateway").mkdir()
    (tmp_path / "gateway" / "url").write_text("http://127.0.0.1:18080\n")
    (tmp_path / "gateway" / "token").write_text("local-stack-token\n")
    assert gateway_url(None, tmp_path) == ("http://127.0.0.1:18080", True)
    assert operator_token(True, tmp_path) == "local-stack-token"
    monkeypatch.setenv("BALLAST_GATEWAY_URL", "https://gw.example/")
    assert gateway_url(None, tmp_path) == ("https://gw.example", False)
    assert operator_token(False, tmp_path) is None  # the local token never goes elsewhere
    monkeypatch.setenv("BALLAST_TOKEN", "from-env")
    assert operator_token(True, tmp_path) == "from-env"
