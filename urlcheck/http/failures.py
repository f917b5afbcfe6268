"""What went wrong with a request, named once for both clients: an error kind and a one-line
message. The lean client raises `Failed` with these; the aiohttp side maps its exceptions to
the same builders (`aio.classify`), so a verdict reads the same whichever client sent it.

A verdict names what really happened on the wire: a connection the server accepted and then
reset is `disconnected`, never `refused`; a TLS handshake the server broke off is `tls`.
"""

from __future__ import annotations

import errno
import socket
import ssl

from ..models import ErrorKind

QUOTE_MAX = 200
"""Characters of a server's or a library's text quoted in an error message, at most."""


class Failed(Exception):
    """A request ended without an answer to judge: why, as an error kind and a message."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def one_line(text: object, limit: int = QUOTE_MAX) -> str:
    """Foreign text (a server's, a library's) folded onto one line and cut to `limit`."""
    folded = " ".join(str(text).split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


def where(host: str, port: int) -> str:
    """``host:port`` as a message shows it (IPv6 in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# Connecting.


def dns(host: str, detail: object = None) -> Failed:
    """The host name has no address (or the resolver failed)."""
    why = f" ({one_line(detail)})" if detail else ""
    return Failed(ErrorKind.DNS, f"cannot resolve host {host!r}{why}")


def refused(host: str, port: int) -> Failed:
    """Nothing listens there: the connection was refused."""
    return Failed(ErrorKind.REFUSED, f"connection refused by {where(host, port)}")


def connect_timed_out(host: str, port: int) -> Failed:
    """The operating system gave up connecting (its own timeout, not urlcheck's)."""
    return Failed(ErrorKind.TIMEOUT, f"connecting to {where(host, port)} timed out")


def cannot_connect(host: str, port: int, detail: object) -> Failed:
    """No connection could be made for another reason (no route, network down …)."""
    return Failed(ErrorKind.REFUSED, f"cannot connect to {where(host, port)}: {one_line(detail)}")


def connect_error(exc: OSError, host: str, port: int) -> Failed:
    """A failure to open a TCP connection, by its errno."""
    if isinstance(exc, socket.gaierror):
        return dns(host, exc.strerror or exc)
    if isinstance(exc, ConnectionRefusedError) or exc.errno == errno.ECONNREFUSED:
        return refused(host, port)
    if isinstance(exc, TimeoutError) or exc.errno == errno.ETIMEDOUT:
        return connect_timed_out(host, port)
    if isinstance(exc, ConnectionResetError) or exc.errno == errno.ECONNRESET:
        # A refused connect is ECONNREFUSED; a reset means the server accepted, then reset
        # it before the connect was seen to complete.
        return reset()
    return cannot_connect(host, port, exc.strerror or exc)


def tls_untrusted(detail: object) -> Failed:
    """The server's certificate did not verify (self-signed, expired, another host's …)."""
    return Failed(ErrorKind.TLS, f"TLS certificate not trusted: {one_line(detail)}")


def tls_failed(detail: object) -> Failed:
    """The TLS handshake failed for another reason (protocol, cipher, a cut handshake)."""
    return Failed(ErrorKind.TLS, f"TLS handshake failed: {one_line(detail)}")


def tls_error(exc: BaseException) -> Failed:
    """A failure during the TLS handshake, named from the exception."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return tls_untrusted(exc.verify_message or exc.reason or exc)
    if isinstance(exc, ssl.SSLError):
        return tls_failed(exc.reason or exc.strerror or exc)
    if isinstance(exc, ConnectionResetError):
        return tls_failed("the server reset the connection during the handshake")
    if isinstance(exc, ConnectionError | EOFError) or getattr(exc, "errno", None) in (
        errno.EPIPE,
        errno.ECONNABORTED,
    ):
        return tls_failed("the server closed the connection during the handshake")
    return tls_failed(getattr(exc, "strerror", None) or exc)


# After the request went out.


def closed() -> Failed:
    """The server closed the connection before a complete response head."""
    return Failed(
        ErrorKind.DISCONNECTED, "the server closed the connection without a complete answer"
    )


def reset() -> Failed:
    """The server reset the connection before a complete response head."""
    return Failed(ErrorKind.DISCONNECTED, "the connection was reset")


def broke_off(detail: object) -> Failed:
    """The body being read ended early."""
    return Failed(ErrorKind.DISCONNECTED, f"the answer broke off: {one_line(detail)}")


def connection_lost(exc: BaseException | None) -> Failed:
    """The connection ended under a request, by how it ended."""
    if exc is None:
        return closed()
    if isinstance(exc, ConnectionResetError) or getattr(exc, "errno", None) == errno.ECONNRESET:
        return reset()
    return Failed(
        ErrorKind.DISCONNECTED,
        f"connection error: {one_line(getattr(exc, 'strerror', None) or exc)}",
    )


def protocol(detail: object) -> Failed:
    """The response is not HTTP as a client can read it."""
    return Failed(ErrorKind.PROTOCOL, f"invalid HTTP response: {one_line(detail)}")


# Redirects and URLs.


def redirect_not_http(location: str) -> Failed:
    """A redirect to a scheme other than http(s) (`location` already masked)."""
    return Failed(
        ErrorKind.INVALID_URL, f"redirected to a URL that is not http(s): {one_line(location)}"
    )


def redirect_invalid(location: str) -> Failed:
    """A redirect to something that is not a usable URL (`location` already masked)."""
    return Failed(ErrorKind.PROTOCOL, f"redirected to an invalid URL: {one_line(location)}")


def invalid_url(url: str, detail: object = None) -> Failed:
    """A URL that cannot be requested (`url` already masked)."""
    why = f" ({one_line(detail)})" if detail else ""
    return Failed(ErrorKind.INVALID_URL, f"invalid URL: {one_line(url)}{why}")
