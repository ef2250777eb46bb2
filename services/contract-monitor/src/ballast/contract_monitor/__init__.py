"""Ballast contract monitor: the StakeBasket ETF's state, events and invariants, and governance."""
