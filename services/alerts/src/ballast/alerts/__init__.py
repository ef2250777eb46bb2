"""Ballast alerts service: turns facts on the bus into alerts, by rules (issue #7)."""
