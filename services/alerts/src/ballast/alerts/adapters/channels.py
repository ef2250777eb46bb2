"""Delivery channels: apprise URLs configured per route (severity, or `watchdog`).

A channel is known in Postgres by a short hash of its URL, never by the URL itself (URLs carry
tokens). A channel removed from the configuration leaves its pending rows to expire.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Channel:
    id: str
    url: str

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme.lower()

    @property
    def redacted(self) -> str:
        """For logs: the host of a webhook, the scheme alone for anything else (a chat URL's
        "host" is usually a token)."""
        parts = urlsplit(self.url)
        if parts.scheme.lower() in {"json", "jsons", "form", "forms", "xml", "xmls"}:
            return f"{parts.scheme}://{parts.hostname or '?'}"
        return f"{parts.scheme}://{self.id}"


def channel_id(url: str) -> str:
    return "ch-" + hashlib.sha256(url.encode()).hexdigest()[:12]


class Channels:
    def __init__(self, routes: Mapping[str, Sequence[str]]) -> None:
        self.routes = {
            route: [Channel(channel_id(url), url) for url in urls] for route, urls in routes.items()
        }
        self.by_id = {ch.id: ch for chans in self.routes.values() for ch in chans}

    def for_route(self, route: str) -> list[Channel]:
        return self.routes.get(route, [])
