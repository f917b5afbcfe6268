"""Failures as SARIF 2.1.0, the static-analysis format code scanning reads (GitHub's
``upload-sarif``): one result per failure, at the file, line and column of its link.

Columns count characters (``columnKind: unicodeCodePoints``), as every other format's do.
A file is named by a URI relative to the working directory (``docs/a%20b.md``) when it is
inside it, else by a ``file://`` URI; standard input by ``stdin``. Each error kind is a rule.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

from .._version import __version__
from ..models import CheckResult, ErrorKind

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/urlcheck/"

RULES: dict[ErrorKind, str] = {
    ErrorKind.STATUS: "The server answered with a status that is not accepted.",
    ErrorKind.TIMEOUT: "No complete answer within the timeout.",
    ErrorKind.DNS: "The host name could not be resolved.",
    ErrorKind.REFUSED: "The server refused the connection.",
    ErrorKind.TLS: "The TLS handshake or the certificate failed.",
    ErrorKind.TOO_MANY_REDIRECTS: "More redirects than --max-redirects.",
    ErrorKind.INVALID_URL: "Not a URL that can be checked.",
    ErrorKind.DISCONNECTED: "The server closed or reset the connection before answering.",
    ErrorKind.PROTOCOL: "The answer was not valid HTTP.",
    ErrorKind.OTHER: "The check failed for another reason.",
    ErrorKind.INVALID_EXPECTATION: "A line's expectation cannot be read.",
    ErrorKind.SLOW: "The answer came slower than max-ms allows.",
    ErrorKind.CONTENT: "The body does not contain the expected text.",
    ErrorKind.CERT_EXPIRY: "The TLS certificate expires sooner than --cert-days.",
    ErrorKind.MISSING_FILE: "A link to a local file or directory that does not exist.",
    ErrorKind.FRAGMENT: "The page or file has no anchor for the link's #fragment.",
    ErrorKind.RATE_LIMITED: "Still 429 Too Many Requests after the retries: unverified.",
    ErrorKind.BLOCKED: "A bot challenge answered instead of the page: unverified.",
}
"""Every error kind is a rule, with a one-line description (a test holds them in step)."""


def artifact_uri(file: str) -> str:
    """A result's file as a SARIF artifact URI."""
    if file in ("-", "<stdin>"):
        return "stdin"
    path = Path(file)
    absolute = path.resolve() if not path.is_absolute() else path
    try:
        relative = absolute.relative_to(Path.cwd().resolve())
    except ValueError:
        return absolute.as_uri()
    return urllib.parse.quote(relative.as_posix() if os.sep == "/" else str(relative))


def to_sarif(results: Sequence[CheckResult]) -> str:
    """A SARIF 2.1.0 log of the failures among `results` (an empty list of results when
    every link is fine), as JSON text."""
    kinds = list(RULES)
    found = []
    for result in results:
        if result.ok:
            continue
        kind = result.error_kind or ErrorKind.OTHER
        region: dict[str, int] = {"startLine": max(result.line, 1)}
        if result.column is not None:
            region["startColumn"] = result.column
        found.append(
            {
                "ruleId": str(kind),
                "ruleIndex": kinds.index(kind),
                "level": "warning" if result.warning else "error",
                "message": {"text": f"{result.url}: {result.error or kind}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": artifact_uri(result.file)},
                            "region": region,
                        }
                    }
                ],
            }
        )
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "urlcheck",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [
                            {"id": str(kind), "shortDescription": {"text": text}}
                            for kind, text in RULES.items()
                        ],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": found,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
