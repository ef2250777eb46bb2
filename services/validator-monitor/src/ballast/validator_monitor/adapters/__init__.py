"""I/O of the validator monitor: Core's system contracts over web3, and Postgres."""
