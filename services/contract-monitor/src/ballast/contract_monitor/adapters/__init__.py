"""I/O: JSON-RPC, ABI encoding/decoding, the contract readers and the Postgres repository."""
