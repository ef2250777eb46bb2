"""Ballast shared bus contract and service glue."""
