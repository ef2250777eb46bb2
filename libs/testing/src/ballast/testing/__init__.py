"""Private pytest plugin: real NATS, Postgres and anvil for tests.

The fixtures live in `ballast.testing.plugin` (loaded by the root pyproject's `-p`); the helpers
below are for tests that start servers or services themselves.
"""

from ballast.testing.chain import Anvil
from ballast.testing.natsserver import NatsServer
from ballast.testing.pg import PostgresServer
from ballast.testing.processes import (
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
