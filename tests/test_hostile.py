"""The hostile server itself (tests/hostile.py): what it records, and keep-alive.

A plain socket client, so what the record says can be checked against what was done; curl
against the behaviours is tests/test_hostile_curl.py.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from .hostile import BEHAVIOURS, HostileServer, serve_hostile


def _connect(server: HostileServer, path: str) -> socket.socket:
    address = urlsplit(server.url(path))
    assert address.hostname == "127.0.0.1"
    assert address.port is not None
    return socket.create_connection((address.hostname, address.port), timeout=5)


def _ask(sock: socket.socket, path: str, method: str = "GET") -> None:
    sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())


def _read_answer(sock: socket.socket, length: int) -> bytes:
    """One answer to a request on /ok: its head and a body of `length` bytes."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < length:
        chunk = sock.recv(65536)
        assert chunk, f"closed after {data!r}"
        data += chunk
    return data


def test_keep_alive_requests_are_recorded_on_their_connection() -> None:
    """Two requests on one connection, one on another: two connections, three requests."""
    with serve_hostile() as server:
        with _connect(server, "/ok") as first:
            _ask(first, "/ok")
            assert _read_answer(first, 2).startswith(b"HTTP/1.1 200 OK\r\n")
            _ask(first, "/r/loop", "HEAD")  # the next request on it picks its own path
            assert b"Location: /r/loop" in _read_answer(first, 0)
        with _connect(server, "/ok") as second:
            _ask(second, "/ok", "HEAD")
            assert _read_answer(second, 0).endswith(b"\r\n\r\n")
        record = server.settle()
    assert record.connections_to("/ok") == 2
    assert record.connections_to("/r/loop") == 0, "opened for /ok, not for /r/loop"
    assert record.requests() == [("GET", "/ok"), ("HEAD", "/r/loop"), ("HEAD", "/ok")]
    assert record.requests_to("/ok") == ["GET", "HEAD"]
    assert [conn.requests for conn in record.connections] == [
        [("GET", "/ok"), ("HEAD", "/r/loop")],
        [("HEAD", "/ok")],
    ]


def test_a_closing_behaviour_reads_no_further_request() -> None:
    """After `/eol/lf` the server hangs up: a second request on the connection is not read."""
    with serve_hostile() as server:
        with _connect(server, "/eol/lf") as sock:
            _ask(sock, "/eol/lf")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        assert data == b"HTTP/1.1 200 OK\nContent-Length: 2\nConnection: close\n\nok"
        assert server.settle().requests() == [("GET", "/eol/lf")]


def test_on_accept_behaviours_have_ports_of_their_own() -> None:
    """`/early/response` answers before any request, on its own port, then reads one."""
    with serve_hostile() as server:
        early = [path for path, entry in BEHAVIOURS.items() if entry.on_accept]
        assert sorted(server.accept_ports) == sorted(early)
        assert len({server.port, *server.accept_ports.values()}) == len(early) + 1
        with _connect(server, "/early/response") as sock:
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")  # nothing asked yet
            _ask(sock, "/anything")
            assert sock.recv(65536) == b""  # it hung up after reading the request
        record = server.settle()
    assert record.connections_to("/early/response") == 1
    assert record.requests() == [("GET", "/anything")]
