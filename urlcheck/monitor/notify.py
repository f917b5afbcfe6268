"""Notify targets through Apprise: load and validate the URLs up front, send one message,
and show a target only masked.

Apprise is an optional extra (``urlcheck[notify]``), imported on the first call that is
given a notify URL and never otherwise. It logs why a send failed: those records are
caught (and kept from any handler the program set up) to become the one masked line that
the outbox reports per failed target.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from ..errors import NotifyError
from ..urls import scrub, secrets_in
from .messages import Message

INSTALL_HINT = "pip install 'urlcheck[notify]'"
APPRISE_LOGGER = "apprise"
TEXT = "text"
"""Apprise's format of our bodies (plain text): a service that wants HTML gets it converted."""
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_PIECES_RE = re.compile(r"[/:@?&=#,;+\s]+")
_MIN_SECRET = 3
"""Shorter pieces of a notify URL are not scrubbed from messages (they would mangle them)."""


class _Collect(logging.Handler):
    """Keeps the messages of the records it is handed."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # a record that cannot be formatted is no reason
            self.messages.append(" ".join(record.getMessage().split()))


@contextmanager
def _apprise_log() -> Iterator[list[str]]:
    """Collect what Apprise logs at WARNING and above, and keep it from other handlers."""
    logger = logging.getLogger(APPRISE_LOGGER)
    handler = _Collect()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _import_apprise() -> Any:
    try:
        with _apprise_log():  # it logs its locale as it loads
            import apprise
    except ImportError:
        raise NotifyError(f"notifications need Apprise: {INSTALL_HINT}") from None
    return apprise


def target_key(url: str) -> str:
    """The stable key of a notify URL in the outbox: its SHA-256 (hex), never the URL."""
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def _secrets(url: str, private: str) -> tuple[str, ...]:
    """The pieces of `url` that Apprise's privacy URL `private` leaves out (tokens,
    passwords), longest first: what to scrub from anything shown about the target."""
    shown = private + " " + unquote(private)
    found = set(secrets_in(url))
    for piece in _PIECES_RE.split(url.partition("://")[2]):
        for form in (piece, unquote(piece)):
            if len(form) >= _MIN_SECRET and form not in shown:
                found.add(form)
    return tuple(sorted(found, key=len, reverse=True))


@dataclass(frozen=True, slots=True)
class NotifyTarget:
    """One Apprise service to notify, shown only through its masked `label`."""

    key: str
    label: str
    """Apprise's privacy URL, without its query: the service, host and path, secrets masked."""
    service: Any = field(repr=False, compare=False)
    secrets: tuple[str, ...] = field(repr=False, compare=False)

    def send(self, message: Message) -> str | None:
        """Deliver `message`: None when the service took it, else why not (one masked line)."""
        with _apprise_log() as log:
            try:
                ok = bool(
                    self.service.notify(
                        body=message.body,
                        title=message.title,
                        notify_type=message.notify_type,
                        body_format=TEXT,
                    )
                )
            except Exception as exc:  # a plugin's bug fails this target, not the run
                ok = False
                log.append(f"{type(exc).__name__}: {exc}")
        if ok:
            return None
        reason = _reasons(log) or "Apprise gave no reason"
        return scrub(reason, self.secrets)


def _reasons(log: list[str]) -> str:
    """Apprise's log lines as one reason, each once."""
    return "; ".join(dict.fromkeys(line.rstrip(" :.") for line in log if line.strip(" :.")))


def _position(index: int, total: int) -> str:
    return f"notify URL {index}" if total > 1 else "notify URL"


def _knows_scheme(apprise: Any, scheme: str) -> bool | None:
    """Whether Apprise has a service for `scheme`; None if this Apprise cannot say."""
    manager = getattr(getattr(apprise, "plugins", None), "N_MGR", None)
    if manager is None:
        schemas = getattr(getattr(apprise, "common", None), "NOTIFY_SCHEMA_MAP", None)
        return None if schemas is None else scheme in schemas
    return scheme in manager


def load_targets(urls: Iterable[str]) -> list[NotifyTarget]:
    """The targets of `urls` (each once), or NotifyError naming the first unusable URL in
    one line, secrets left out; Apprise is imported only if there is a URL."""
    urls = [url.strip() for url in urls if url.strip()]
    if not urls:
        return []
    apprise = _import_apprise()
    targets: dict[str, NotifyTarget] = {}
    for index, url in enumerate(urls, 1):
        where = _position(index, len(urls))
        match = _SCHEME_RE.match(url)
        if match is None:
            raise NotifyError(
                f"{where}: not an Apprise URL (a service://… URL such as"
                " json://host/path or mailto://user:password@host)"
            )
        scheme = match.group(1).lower()
        with _apprise_log() as log:
            service = apprise.Apprise.instantiate(url)
        if service is None:
            if _knows_scheme(apprise, scheme) is False:
                raise NotifyError(f"{where} ({scheme}://…): Apprise has no {scheme}:// service")
            # Apprise's reasons show the URL as scheme://... (its secure logging); scrub any
            # piece of the URL from them all the same.
            reason = scrub(_reasons(log), _secrets(url, f"{scheme}://"))
            raise NotifyError(f"{where} ({scheme}://…) cannot be used: {reason or 'malformed'}")
        private = str(service.url(privacy=True))
        secrets = _secrets(url, private)
        label = scrub(private.partition("?")[0], secrets)
        targets.setdefault(target_key(url), NotifyTarget(target_key(url), label, service, secrets))
    return list(targets.values())


def validate_notify_urls(urls: Iterable[str]) -> list[str]:
    """The masked labels of `urls`; NotifyError (a ValueError) on the first unusable one,
    or when Apprise is not installed. For checking the options before any check runs."""
    return [target.label for target in load_targets(urls)]


def notify_urls_from_env(text: str) -> list[str]:
    """The notify URLs of an environment variable: one per line, blank and ``#`` lines
    skipped (a URL may hold commas and spaces, so nothing else separates them)."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]
