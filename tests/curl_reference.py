"""curl as the reference client: what it makes of a URL, and that outcome as urlcheck's verdict.

`curl_outcome` runs /usr/bin/curl the way a link checker would use it (follow redirects, throw
the body away, HEAD or GET) and keeps its exit code, the final status and the redirects it
followed. `curl_verdict` maps that onto urlcheck's error kinds (`urlcheck.ErrorKind`), so a
test can put urlcheck's verdict for a hostile server next to curl's.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass

CURL = "/usr/bin/curl"
WRITE_OUT = r"%{http_code} %{num_redirects}\n"
"""One line per transfer (curl reads ``\\n`` in -w as a newline): several URLs in one run."""
PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}

# curl's exit codes (man curl, EXIT CODES) and the verdict each means for urlcheck.
EXIT_VERDICTS: dict[int, str] = {
    # Unsupported protocol: a redirect to a scheme curl does not speak; curl also exits so on
    # "Received HTTP/0.9 when not allowed" and "Unsupported response code in HTTP response".
    1: "protocol",
    3: "protocol",  # URL malformed: here, a Location curl cannot make a URL of.
    6: "dns",  # Could not resolve host.
    7: "refused",  # Failed to connect to host (refused, unreachable).
    8: "protocol",  # Weird server reply: the server sent data curl could not parse.
    18: "disconnected",  # Partial file: the transfer ended before the size it announced.
    # Out of memory. curl 7.x also says so when a header line is over its 100 KiB limit
    # (CURL_MAX_HTTP_HEADER, "Avoided giant realloc for header"), the only way a check gets it.
    27: "protocol",
    28: "timeout",  # Operation timeout: --max-time ran out.
    35: "tls",  # SSL connect error: the TLS handshake failed.
    47: "too_many_redirects",  # Too many redirects: --max-redirs was reached.
    51: "tls",  # The server's certificate or fingerprint was not OK (older curls).
    52: "disconnected",  # The server did not reply anything: the connection closed empty.
    # Failed sending network data; seen when a reset comes between the connect and curl's
    # getpeername() ("Transport endpoint is not connected").
    55: "disconnected",
    56: "disconnected",  # Failure in receiving network data (but see RECV_PROTOCOL_ERRORS).
    58: "tls",  # Problem with the local certificate.
    60: "tls",  # Peer certificate cannot be authenticated with known CA certificates.
    100: "protocol",  # Too large (curl 8.6 and later): a response header over curl's limits.
}
RECV_PROTOCOL_ERRORS = ("chunked-encoding", "Too large response headers")
"""What curl says with exit 56 when the bytes came but made no HTTP (an invalid chunk size,
a head over its 300 KiB): a protocol error, not a lost connection."""
OK_STATUSES = range(200, 300)
"""urlcheck's default accepted statuses (``200..299``, urlcheck.models.DEFAULT_ACCEPT)."""


@dataclass(frozen=True)
class CurlOutcome:
    """What curl made of a URL."""

    exit_code: int
    http_code: int
    """The final status of the first URL (0: curl got none)."""
    num_redirects: int
    error_text: str
    """What curl said on stderr (``curl: (52) Empty reply from server``), or ""."""
    transfers: tuple[tuple[int, int], ...] = ()
    """(http_code, num_redirects) of every URL of the run, in order."""

    @property
    def summary(self) -> str:
        """Exit code, then each URL's status (three digits) and ``/redirects`` if any:
        ``0 200``, ``47 302/10``, ``0 200 200`` for two URLs on one run."""
        parts = [f"{code:03d}" + (f"/{hops}" if hops else "") for code, hops in self.transfers]
        return " ".join([str(self.exit_code), *parts])


def curl_outcome(
    url: str,
    method: str = "HEAD",
    max_redirs: int = 10,
    timeout: float = 2,
    *,
    then: tuple[str, ...] = (),
    connect_to: tuple[str, ...] = (),
) -> CurlOutcome:
    """Run curl on `url` (and the URLs in `then`, in the same run, so on the same connection
    when curl can keep it), following up to `max_redirs` redirects, within `timeout` seconds.

    HEAD is ``curl -I``; GET writes the body to /dev/null. No .curlrc (``-q``) and no proxy
    from the environment (``--noproxy '*'``): the outcome is the server's alone. Each of
    `connect_to` is a ``--connect-to HOST:PORT:127.0.0.1:PORT2``, for a host name a redirect
    leads to that must not be looked up.
    """
    if method not in {"HEAD", "GET"}:
        raise ValueError(f"curl_outcome does HEAD or GET, not {method}")
    command = [CURL, "-q", "-sS", "-w", WRITE_OUT, "--max-time", str(timeout)]
    command += ["--max-redirs", str(max_redirs), "-L", "--noproxy", "*"]
    for route in connect_to:
        command += ["--connect-to", route]
    if method == "HEAD":
        command.append("-I")
    for each in (url, *then):
        command += ["-o", "/dev/null", each]  # -o is per URL
    env = {key: value for key, value in os.environ.items() if key.lower() not in PROXY_VARIABLES}
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout * (1 + len(then)) + 10,
        env=env,
        check=False,
    )
    transfers = tuple(
        (int(code), int(hops)) for code, hops in re.findall(r"^(\d{3}) (\d+)$", proc.stdout, re.M)
    )
    first = transfers[0] if transfers else (0, 0)
    return CurlOutcome(proc.returncode, first[0], first[1], proc.stderr.strip(), transfers)


def curl_verdict(outcome: CurlOutcome) -> str:
    """urlcheck's error kind for curl's outcome: ``ok`` or ``status`` when curl got a final
    answer (by urlcheck's default accepted statuses), else the kind of its exit code, and
    ``other`` for an exit code without one. Exit 56 is two things to curl: a connection lost
    while receiving (``disconnected``) or bytes that are not HTTP (``protocol``); its message
    tells them apart."""
    if outcome.exit_code == 0:
        return "ok" if outcome.http_code in OK_STATUSES else "status"
    if outcome.exit_code == 56 and any(text in outcome.error_text for text in RECV_PROTOCOL_ERRORS):
        return "protocol"
    return EXIT_VERDICTS.get(outcome.exit_code, "other")
