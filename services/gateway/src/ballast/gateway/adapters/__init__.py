"""I/O of the gateway: token file, JetStream last values, Postgres tables."""
