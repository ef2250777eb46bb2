"""The ballast command."""
