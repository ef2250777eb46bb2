"""Private pytest plugin: real NATS, Postgres and anvil for tests."""
