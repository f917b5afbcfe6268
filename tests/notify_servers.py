"""Real receivers on 127.0.0.1 for the monitor's notifications: an HTTP endpoint for
Apprise's json:// and an SMTP server (aiosmtpd) for its mailto://."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.message
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .servers import SERVED, Served, serve_app


@dataclass
class Receiver:
    """A json:// endpoint: what it received, and how it answers the next POSTs."""

    served: Served
    received: list[dict[str, Any]] = field(default_factory=list)
    """The JSON bodies of the POSTs it accepted, in order."""
    refused: int = 0
    """POSTs it answered with `status` other than 200."""
    status: int = 200
    delay_s: float = 0.0
    """Seconds before answering: for a send still in flight while another run looks."""

    def url(self, path: str = "/hook", *, auth: str = "") -> str:
        """The Apprise URL of this endpoint."""
        return f"json://{auth}{self.served.host}:{self.served.port}{path}"

    @property
    def titles(self) -> list[str]:
        """The titles of the accepted messages, in order."""
        return [body["title"] for body in self.received]


def _receiver_app() -> web.Application:
    async def hook(request: web.Request) -> web.Response:
        receiver = request.app[SERVED].state["receiver"]
        assert isinstance(receiver, Receiver)
        body = await request.json()
        if receiver.delay_s:
            await asyncio.sleep(receiver.delay_s)
        if receiver.status != 200:
            receiver.refused += 1
            return web.Response(status=receiver.status, text="not now")
        receiver.received.append(body)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/{tail:.*}", hook)
    return app


@contextlib.contextmanager
def serve_receiver(port: int = 0) -> Iterator[Receiver]:
    """A json:// receiver on `port` (a free one by default) for the block."""
    with serve_app(_receiver_app(), port=port) as served:
        receiver = Receiver(served)
        served.state["receiver"] = receiver
        yield receiver


def free_port() -> int:
    """A local port that nothing listens on (at the time of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        self.messages.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@dataclass
class Smtp:
    """An SMTP server without TLS: the mail it received."""

    port: int
    mailbox: _Mailbox

    def url(self, to: str = "ops@example.test") -> str:
        """The Apprise mailto:// URL that sends to this server, in plain SMTP."""
        return f"mailto://127.0.0.1:{self.port}?mode=insecure&from=urlcheck@example.test&to={to}"

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        """The mail received, in order."""
        return self.mailbox.messages


@contextlib.contextmanager
def serve_smtp() -> Iterator[Smtp]:
    """An aiosmtpd server on a free local port for the block."""
    from aiosmtpd.controller import Controller

    mailbox = _Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Smtp(port, mailbox)
    finally:
        controller.stop()
