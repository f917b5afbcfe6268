"""Shared fixtures: real servers on 127.0.0.1, never the internet."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from .faults import FaultServer, fault_app, serve_faults
from .servers import Served, demo_app, serve_app


@pytest.fixture
def server() -> Iterator[Served]:
    """A fresh demo server (statuses, redirects, slowness …) for one test."""
    with serve_app(demo_app()) as served:
        yield served


@pytest.fixture
def refused_url() -> str:
    """A URL on a local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def faults() -> Iterator[FaultServer]:
    """The raw-socket fault server: one misbehaviour per path (tests/faults.py)."""
    with serve_faults() as server:
        yield server


@pytest.fixture
def app() -> Iterator[Served]:
    """The aiohttp fault app: refused HEAD, redirect traps, Retry-After (tests/faults.py)."""
    with serve_app(fault_app()) as served:
        yield served
