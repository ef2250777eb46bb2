"""NATS with Ballast's per-service users on one machine: `ballast up` and the e2e System.

The users and their permissions are those of deploy/nats/accounts.conf, made by the same code:
deploy/tools/nats_permissions.py (`local_users()`: production's table plus a read-only
`observer`), imported from the checkout, not copied. Its `render` writes the accounts file
nats-server starts with, so every local run and every e2e test exercises the permissions
production enforces.

Passwords are random per run and never on a command line, in a URL or in a log: nats-server reads
each from its environment (the file names `$BALLAST_NATS_PASSWORD_<USER>`, as in production), a
service from a 0600 file (`<PREFIX>NATS_USER`, `<PREFIX>NATS_PASSWORD_FILE`, see
ballast.common.settings), an outsider (the live view, `ballast status`, a test's recorder)
through `connect(user)`.

Building the table builds every service's app offline (~4 s): once per process.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ballast.cli.registry import ServiceSpec
from ballast.devstack.nats import NatsServer, run_nats_server
from ballast.devstack.processes import repo_root

if TYPE_CHECKING:
    from nats.aio.client import Client

OBSERVER = "observer"
"""The read-only user of the live view, `ballast status` and the e2e tests' bus recorder."""

Permissions = dict[str, dict[str, list[str]]]


def generator() -> ModuleType:
    """deploy/tools/nats_permissions.py (plain scripts, not a package: put on sys.path)."""
    tools = repo_root() / "deploy" / "tools"
    if str(tools) not in sys.path:
        sys.path.insert(0, str(tools))
    return importlib.import_module("nats_permissions")


@functools.cache
def local_users() -> Permissions:
    """User -> {"publish": [...], "subscribe": [...]}: the generator's table for one machine."""
    table: Permissions = generator().local_users()
    return table


@dataclass(frozen=True)
class BusUsers:
    """The users of a running authenticated nats-server and where their passwords are."""

    url: str
    secrets_dir: Path
    passwords: dict[str, str] = field(repr=False)

    def password_file(self, user: str) -> Path:
        return self.secrets_dir / f"{user}.nats-password"

    def service_env(self, spec: ServiceSpec) -> dict[str, str]:
        """The service connects as its own user (the generator names users after services)."""
        p = spec.env_prefix
        return {f"{p}NATS_USER": spec.name,
                f"{p}NATS_PASSWORD_FILE": str(self.password_file(spec.name))}

    def server_env(self) -> dict[str, str]:
        """The environment nats-server reads the passwords from (a restart needs it again)."""
        gen = generator()
        return {str(gen.password_variable(user)): pw for user, pw in self.passwords.items()}

    async def connect(self, user: str = OBSERVER, **options: Any) -> Client:
        """A nats-py client logged in as `user` (an identity of the table)."""
        import nats  # noqa: PLC0415 - only the callers that talk to the bus pay for it

        return await nats.connect(
            self.url, user=user, password=self.passwords[user], **options)


def write_secret(path: Path, value: str) -> None:
    """A file only its owner can read, created so (never world-readable, not even briefly)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value + "\n")


@contextmanager
def run_authenticated_nats(
    workdir: Path, *, port: int | None = None, die_with_parent: bool = False,
    sync_always: bool = False,
) -> Generator[tuple[NatsServer, BusUsers]]:
    """nats-server with JetStream under `workdir` and the generator's users and permissions;
    each user's password in `workdir/secrets/<user>.nats-password` (0600, directory 0700).
    `sync_always`: JetStream's `sync_interval: always`, as in production (deploy/nats/values.yaml):
    an ack means the message is on disk, so a SIGKILLed server loses nothing it acked."""
    gen = generator()
    table = local_users()
    passwords = {user: gen.new_password() for user in table}
    secrets_dir = workdir / "secrets"
    secrets_dir.mkdir(parents=True, exist_ok=True)
    secrets_dir.chmod(0o700)
    env = {str(gen.password_variable(user)): password for user, password in passwords.items()}
    config = str(gen.render(table))
    if sync_always:
        config += "\njetstream {\n  sync_interval: always\n}\n"
    with run_nats_server(workdir, port=port, die_with_parent=die_with_parent,
                         config=config, env=env) as server:
        users = BusUsers(server.url, secrets_dir, passwords)
        for user, password in passwords.items():
            write_secret(users.password_file(user), password)
        yield server, users

