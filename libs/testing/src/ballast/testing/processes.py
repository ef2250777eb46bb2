"""Child processes for tests (they live in ballast.devstack.processes)."""

from ballast.devstack.processes import (
    ManagedProcess,
    ProcessDiedError,
    ProcessGroup,
    free_port,
    port_open,
    repo_root,
    start_process,
    tail,
)

__all__ = [
    "ManagedProcess",
    "ProcessDiedError",
    "ProcessGroup",
    "free_port",
    "port_open",
    "repo_root",
    "start_process",
    "tail",
]
