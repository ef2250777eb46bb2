"""Bus subscribers: none. The contract monitor reads only the chain; what it publishes goes out
through adapters/publisher.py (the core's `Publisher`)."""
