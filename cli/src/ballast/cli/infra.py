"""Local infrastructure for `ballast up`, on top of ballast.devstack.

The stack prefers the usual ports (NATS 4222, anvil 8545, the services' own) and falls back to
free ones when something else holds them (the machine's own NATS, another stack).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from ballast.devstack.processes import free_port, repo_root

__all__ = ["alive", "data_dir_for", "pick_port", "port_free", "repo_root"]


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def pick_port(preferred: int) -> int:
    return preferred if port_free(preferred) else free_port()


def data_dir_for(root: Path) -> Path:
    """`.ballast/` in the workspace, or BALLAST_DATA_DIR (tests, several stacks side by side)."""
    return Path(os.environ.get("BALLAST_DATA_DIR") or root / ".ballast")


def alive(pid: int | None) -> bool:
    """Whether a process `pid` runs (None or 0: no process)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
