"""Ballast gateway: live stream, read API, operator control and the status report."""
