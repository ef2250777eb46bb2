"""Ballast oracle: multi-source price consensus, DEX trades and price history (issue #4)."""
