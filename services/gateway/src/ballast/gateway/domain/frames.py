"""The frame a stream client receives: `{"subject", "data", "received_at"}`.

`data` is the bus payload byte for byte (decimals stay strings, unknown fields stay), so a
client decodes it against `docs/asyncapi.yaml` exactly as a NATS consumer would. A payload that
is not JSON (none of Ballast's are) is carried as a JSON string instead of breaking the frame.
"""

from __future__ import annotations

import json
from datetime import datetime


def encode_frame(subject: str, payload: bytes, received_at: datetime) -> str:
    """The frame as JSON text, built once per message and shared by every client."""
    try:
        data = payload.decode()
        json.loads(data)
    except ValueError:  # UnicodeDecodeError is a ValueError
        data = json.dumps(payload.decode("utf-8", "replace"))
    return "".join((
        '{"subject":', json.dumps(subject), ',"data":', data,
        ',"received_at":', json.dumps(received_at.isoformat()), "}",
    ))
