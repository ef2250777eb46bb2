"""Bus subscribers: none. The validator monitor reads only the chain; what it publishes goes out
through adapters/publisher.py (the core's `Publisher`)."""
