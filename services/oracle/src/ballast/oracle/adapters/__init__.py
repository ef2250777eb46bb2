"""I/O: one class per HTTP API or contract, the runners that drive them, the repository."""
