"""Ballast intervention: the only service that holds a signing key and sends transactions."""
