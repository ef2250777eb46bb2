"""The bus on one machine runs with production's users (ballast.cli.busauth): per service, its own
Bus logs in from its password file, does its work, and a publish outside its permissions is
refused by the server, counted (`ballast_bus_permission_denied_total`) and logged, with no
password in any log line."""

from __future__ import annotations

import asyncio
import logging
import stat
from collections.abc import Generator
from pathlib import Path

import pytest

from ballast.cli.busauth import OBSERVER, BusUsers, generator, local_users, run_authenticated_nats
from ballast.cli.registry import SERVICES, ServiceSpec
from ballast.common.heartbeat import build_heartbeat
from ballast.common.messages import utcnow
from ballast.common.subjects import BUS_SUBJECTS, HEARTBEAT_ALL, heartbeat
from ballast.devstack.nats import server_info


@pytest.fixture(scope="module")
def bus_users(tmp_path_factory: pytest.TempPathFactory) -> Generator[BusUsers]:
    with run_authenticated_nats(tmp_path_factory.mktemp("nats-auth")) as (_, users):
        yield users


def foreign_subject(spec: ServiceSpec) -> str:
    """A subject another service publishes."""
    return "treasury.state" if spec.name != "treasury" else "prices.consensus.BTC"


def test_users__the_generators_table_with_an_observer__passwords_0600(bus_users: BusUsers) -> None:
    expected = generator().users()
    table = local_users()
    assert {u: p for u, p in table.items() if u != OBSERVER} == expected
    assert table[OBSERVER] == {
        "publish": ["$JS.API.INFO", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST",
                    "$JS.API.STREAM.INFO.*", "$JS.API.STREAM.MSG.GET.*"],
        "subscribe": [*BUS_SUBJECTS, HEARTBEAT_ALL, "_INBOX.>"]}
    info = server_info(bus_users.url)
    assert info is not None and info.get("auth_required") is True
    assert stat.S_IMODE(bus_users.secrets_dir.stat().st_mode) == 0o700
    for user in table:
        path = bus_users.password_file(user)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text().strip() == bus_users.passwords[user]
    assert "passwords" not in repr(bus_users) and bus_users.passwords["oracle"] not in repr(
        bus_users)


async def test_observer__reads_the_bus__publishes_nothing(bus_users: BusUsers) -> None:
    errors: list[str] = []

    async def on_error(err: Exception) -> None:
        errors.append(str(err).lower())

    nc = await bus_users.connect(OBSERVER, error_cb=on_error, allow_reconnect=False)
    try:
        for pattern in BUS_SUBJECTS:
            await nc.subscribe(pattern)
        await nc.publish("treasury.state", b"{}")
        await nc.subscribe(">")
        await nc.flush(timeout=2)
        await asyncio.sleep(0.1)
    finally:
        await nc.close()
    assert errors == ['nats: permissions violation for publish to "treasury.state"',
                      'nats: permissions violation for subscription to ">"']


def denied(service: object) -> float:
    registry = service.registry  # type: ignore[attr-defined]
    value = registry.get_sample_value(
        "ballast_bus_permission_denied_total", {"operation": "publish"})
    return value or 0.0


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
async def test_service__publish_outside_its_permissions__refused_counted_logged(
    bus_users: BusUsers, spec: ServiceSpec, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import ballast_introspect  # noqa: PLC0415 - deploy/tools, put on sys.path by busauth

    for key, value in bus_users.service_env(spec).items():
        monkeypatch.setenv(key, value)  # <PREFIX>NATS_USER, <PREFIX>NATS_PASSWORD_FILE
    service = ballast_introspect.build_service(spec, nats_url=bus_users.url)
    assert service.settings.nats_user == spec.name
    bus = service.bus
    caplog.set_level(logging.DEBUG)
    await asyncio.wait_for(bus.start(), timeout=20)  # streams, its durable consumers: allowed
    try:
        beat = build_heartbeat(spec.name, "test", utcnow(), 0.0, {"nats": True}, 10.0)
        await bus.publish(beat, heartbeat(spec.name))
        assert denied(service) == 0

        await bus.publish_facts([(foreign_subject(spec), b"{}")])
        for _ in range(50):
            if denied(service):
                break
            await asyncio.sleep(0.05)
        assert denied(service) == 1
    finally:
        await bus.stop()
    refusals = [r for r in caplog.records if r.getMessage() == "bus permission denied"]
    assert len(refusals) == 1
    assert foreign_subject(spec).lower() in refusals[0].__dict__["error"]
    password = bus_users.passwords[spec.name]
    assert not [r for r in caplog.records if password in r.getMessage() + str(r.__dict__)]


def test_password_files__not_in_the_servers_command_line(bus_users: BusUsers) -> None:
    """nats-server reads the passwords from its environment, a service from its file: never
    argv, which every local user can read in /proc."""
    secret = bus_users.passwords[OBSERVER]
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            assert secret not in cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue


async def test_durable_bus__sigkilled_then_started_on_its_store__same_users_log_in(
    tmp_path: Path,
) -> None:
    """The chaos suite's nats-server restarts: `sync_interval: always` (as production), then a
    SIGKILL and a start on the same port, store and passwords (BusUsers.server_env)."""
    import os  # noqa: PLC0415
    import signal  # noqa: PLC0415
    from urllib.parse import urlsplit  # noqa: PLC0415

    from ballast.devstack.nats import start_nats_process  # noqa: PLC0415

    with run_authenticated_nats(tmp_path, sync_always=True) as (server, users):
        assert "sync_interval: always" in (tmp_path / "server.conf").read_text()
        assert server.pid is not None
        os.kill(server.pid, signal.SIGKILL)
        while server_info(users.url, timeout=0.2) is not None:
            await asyncio.sleep(0.02)
        port = int(urlsplit(users.url).port or 0)
        with start_nats_process(tmp_path, port, config=True, env=users.server_env()):
            nc = await users.connect("oracle")
            try:
                await nc.flush()
                assert nc.is_connected
            finally:
                await nc.close()
