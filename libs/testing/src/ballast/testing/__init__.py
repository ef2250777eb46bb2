"""Private pytest plugin: real NATS, Postgres and anvil for tests.

The fixtures live in `ballast.testing.plugin` (loaded by the root pyproject's `-p`); the helpers
below are for tests that start servers or services themselves.
"""

from ballast.devstack.anvil import Anvil
from ballast.devstack.nats import NatsServer
from ballast.devstack.postgres import PostgresServer
from ballast.devstack.processes import (
    ManagedProcess,
    ProcessDiedError,
    ProcessGroup,
    free_port,
    repo_root,
    start_process,
)

__all__ = [
    "Anvil",
    "ManagedProcess",
    "NatsServer",
    "PostgresServer",
    "ProcessDiedError",
    "ProcessGroup",
    "free_port",
    "repo_root",
    "start_process",
]
