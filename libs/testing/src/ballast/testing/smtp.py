"""A local SMTP server (aiosmtpd) that keeps the emails an apprise `mailto://` channel sends.

It speaks real SMTP on 127.0.0.1 in its own thread (aiosmtpd's Controller), so the alerts
service's email path runs exactly as against a mail relay. `url(to)` is the apprise URL.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any, cast

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class ReceivedEmail:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str | None:
        """The `text/<subtype>` body (`plain` or `html`), decoded; None when absent."""
        body = self.message.get_body(preferencelist=(subtype,))
        if body is None or body.get_content_subtype() != subtype:
            return None
        return str(cast(Any, body).get_content())


class _Handler:
    def __init__(self, inbox: SmtpReceiver) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=default)
        email = ReceivedEmail(envelope.mail_from, tuple(envelope.rcpt_tos), message)
        with self.inbox.lock:
            self.inbox.emails.append(email)
        self.inbox.arrived.set()
        return "250 Message accepted for delivery"


def _free_port() -> int:
    """aiosmtpd's Controller checks its server by connecting to the port it was given, so it
    needs a real one up front (not 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpReceiver:
    def __init__(self) -> None:
        self.emails: list[ReceivedEmail] = []
        self.lock = threading.Lock()
        self.arrived = threading.Event()
        self.port = _free_port()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def url(self, to: str = "oncall@example.com", sender: str = "ballast@example.com") -> str:
        """apprise `mailto://` to this server, plain SMTP (no TLS, no login), HTML by default."""
        user, domain = sender.split("@", 1)
        return (f"mailto://{user}@127.0.0.1:{self.port}?smtp=127.0.0.1&mode=insecure"
                f"&from={sender}&to={to}&domain={domain}")


def main() -> None:
    """`python -m ballast.testing.smtp`: a local inbox for trying pages by hand. Prints the
    apprise URL to give `BALLAST_ALERTS_CHANNELS`, then each email as it arrives (Ctrl-C ends)."""
    receiver = SmtpReceiver()
    receiver.start()
    print(receiver.url(), flush=True)
    shown = 0
    try:
        while True:
            receiver.arrived.wait(1)
            receiver.arrived.clear()
            with receiver.lock:
                new = receiver.emails[shown:]
            for email in new:
                shown += 1
                print(f"\n=== {shown}: {email.subject}\n--- text/plain\n{email.part('plain')}"
                      f"\n--- text/html\n{email.part('html')}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        receiver.stop()


if __name__ == "__main__":
    main()
