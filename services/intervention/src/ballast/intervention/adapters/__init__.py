"""I/O: Postgres repository, chain client, signer, lease."""
