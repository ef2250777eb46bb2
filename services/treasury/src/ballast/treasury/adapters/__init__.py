"""I/O: Postgres repository and on-chain readers."""
