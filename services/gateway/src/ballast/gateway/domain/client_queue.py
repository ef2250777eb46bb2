"""One stream client's outgoing frames: bounded, oldest dropped first, and how far behind it is.

A slow client must never slow the bus or other clients (issue 19): the hub only appends here
(never waits), a full queue drops its oldest frame and counts it, and a client whose writer has
not finished a send for `max_behind` seconds while frames wait is cut off. Time comes in as an
argument (the hub's monotonic clock).
"""

from __future__ import annotations

from collections import deque


class ClientQueue:
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._frames: deque[str] = deque()
        self.dropped = 0
        self._waiting_since: float | None = None  # when the writer last had nothing to do

    def push(self, frame: str, now: float) -> bool:
        """Append a frame; True when an older frame had to be dropped to make room."""
        if not self._frames and self._waiting_since is None:
            self._waiting_since = now
        dropped = len(self._frames) >= self.capacity
        if dropped:
            self._frames.popleft()
            self.dropped += 1
        self._frames.append(frame)
        return dropped

    def take(self, now: float) -> str | None:
        """The oldest frame for the writer, or None if there is nothing to send."""
        if not self._frames:
            self._waiting_since = None
            return None
        frame = self._frames.popleft()
        self._waiting_since = now  # the writer is making progress
        return frame

    def sent(self, now: float) -> None:
        """The writer finished a send: its clock of being behind restarts (or stops if idle)."""
        self._waiting_since = now if self._frames else None

    def behind_seconds(self, now: float) -> float:
        """How long frames have waited without the writer finishing a send (0 when idle)."""
        if self._waiting_since is None:
            return 0.0
        return max(0.0, now - self._waiting_since)

    def __len__(self) -> int:
        return len(self._frames)
