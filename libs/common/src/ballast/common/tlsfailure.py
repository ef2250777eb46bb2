"""What a refused TLS handshake to NATS or Postgres looks like in the log: one line.

Both drivers hand up Python's `ssl` errors as they are (`[SSL: CERTIFICATE_VERIFY_FAILED]
certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)`), which names
neither the server nor the setting to look at. `TlsRefusedError` does both. A certificate the
client cannot verify will not become valid by retrying: a service stops at start on it.
"""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit


class TlsRefusedError(ConnectionError):
    """The TLS handshake with a server failed; the message is one line: which server, why, and
    which setting to check."""


def server_of(url: str) -> str:
    """`scheme://host:port` of the first server in `url`, without any user or password."""
    first = urlsplit(url.split(",")[0].strip())
    port = f":{first.port}" if first.port else ""
    return f"{first.scheme}://{first.hostname or '?'}{port}"


def tls_failure(error: BaseException, server: str, setting: str) -> str | None:
    """One line for a TLS handshake failure, else None (not a TLS error). `server` is what was
    connected to (no secrets), `setting` where the trusted CA is configured."""
    if isinstance(error, ssl.SSLCertVerificationError):
        reason = error.verify_message or str(error)
        return (
            f"TLS to {server} refused: the server's certificate is not trusted ({reason}); "
            f"{setting} must name the CA that signed it"
        )
    if isinstance(error, ssl.SSLError):
        return f"TLS handshake with {server} failed ({error.reason or error}); check {setting}"
    return None
