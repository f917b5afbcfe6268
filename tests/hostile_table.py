"""curl against every hostile behaviour (tests/hostile.py), as a Markdown table.

``python -m tests.hostile_table > tests/data/hostile_curl.md`` writes the table the project
cites; `run_behaviour` and `run_all` are what tests/test_hostile_curl.py runs too. Each run
gets a hostile server of its own, so the connections it counts are the ones curl opened.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .curl_reference import CURL, CurlOutcome, curl_outcome, curl_verdict
from .hostile import BEHAVIOURS, Behaviour, serve_hostile

METHODS = ("HEAD", "GET")
WORKERS = 8
"""curl runs at once: each waits mostly on its server's pauses, not on a CPU."""
RACE_TRIES = 60
"""Runs of a behaviour whose outcome a race decides, to see each outcome it lists (one
comes ~1 time in 5 on the machine the corpus was written on)."""
TABLE = "tests/data/hostile_curl.md"


@dataclass(frozen=True)
class Run:
    """One curl run against a fresh hostile server, and what the server saw of it."""

    outcome: CurlOutcome
    connections: int
    """Connections the server accepted: all of them curl's."""
    requests: list[tuple[str, str]]
    """(method, path) of every request the server read, connection by connection."""


def run_behaviour(behaviour: Behaviour, method: str, timeout: float = 2) -> Run:
    """Run curl once on `behaviour` (and its `then` paths) with a server of its own."""
    with serve_hostile() as server:
        outcome = curl_outcome(
            server.url(behaviour.path),
            method,
            timeout=timeout,
            then=tuple(server.url(path) for path in behaviour.then),
            connect_to=tuple(f"{host}:80:127.0.0.1:{server.port}" for host in behaviour.hosts),
        )
        record = server.settle()
        return Run(outcome, len(record.connections), record.requests())


def run_all(
    behaviours: Iterable[Behaviour] = BEHAVIOURS.values(), workers: int = WORKERS
) -> dict[tuple[str, str], Run]:
    """Every behaviour by HEAD and by GET, `workers` at a time: by (path, method)."""
    jobs = [(behaviour, method) for behaviour in behaviours for method in METHODS]
    with ThreadPoolExecutor(workers) as pool:
        runs = pool.map(lambda job: run_behaviour(*job), jobs)
        return {
            (behaviour.path, method): run
            for (behaviour, method), run in zip(jobs, runs, strict=True)
        }


def curl_says(outcome: CurlOutcome) -> str:
    """curl's message without what changes from run to run (port, milliseconds)."""
    text = " / ".join(line.removeprefix("curl: ") for line in outcome.error_text.splitlines())
    text = re.sub(r"port \d+", "port PORT", text)
    return re.sub(r"after \d+ ms", "after N ms", text)


def seen_outcomes(behaviour: Behaviour, method: str, first: Run) -> dict[str, CurlOutcome]:
    """Each outcome curl gave, by summary: `first`, and for a behaviour that lists more than
    one, further runs until each is seen (or RACE_TRIES are spent)."""
    seen = {first.outcome.summary: first.outcome}
    wanted = set(behaviour.curl_expect[method])
    tries = 0
    while len(wanted) > 1 and not wanted <= seen.keys() and tries < RACE_TRIES:
        outcome = run_behaviour(behaviour, method).outcome
        seen.setdefault(outcome.summary, outcome)
        tries += 1
    return seen


def _cell(behaviour: Behaviour, method: str, seen: dict[str, CurlOutcome]) -> tuple[str, str]:
    """The outcomes cell (listed ones in order, anything else flagged) and the messages."""
    order = [
        *behaviour.curl_expect[method],
        *sorted(seen.keys() - set(behaviour.curl_expect[method])),
    ]
    outcomes, messages = [], []
    for summary in order:
        outcome = seen.get(summary)
        if outcome is None:
            outcomes.append(f"`{summary}` (not seen this time)")
            continue
        flag = "" if summary in behaviour.curl_expect[method] else " **not listed**"
        outcomes.append(f"`{summary}` {curl_verdict(outcome)}{flag}")
        if outcome.error_text:
            messages.append(curl_says(outcome))
    return " or ".join(outcomes), "; ".join(dict.fromkeys(messages))


def _went_to(run: Run) -> str:
    """The paths curl asked for after the behaviour's own (redirects, `then`)."""
    paths = [f"`{path}`" for _, path in run.requests[1:]]
    if len(paths) > 4:
        return f"{paths[0]} … {paths[-1]} ({len(paths)} requests)"
    return ", ".join(paths)


def _connections(behaviour: Behaviour, runs: dict[tuple[str, str], Run]) -> str:
    """The connections each method's run opened (one number if the same), flagged where
    the behaviour lists another count."""
    shown = []
    for method in METHODS:
        count, listed = (
            runs[(behaviour.path, method)].connections,
            behaviour.curl_connections[method],
        )
        shown.append(f"{count}" + ("" if listed in (None, count) else " **not listed**"))
    return shown[0] if shown[0] == shown[1] else " / ".join(shown)


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def curl_version() -> str:
    """The first line of ``curl --version``."""
    proc = subprocess.run([CURL, "--version"], capture_output=True, text=True, check=True)
    return proc.stdout.splitlines()[0]


def render_table(runs: dict[tuple[str, str], Run]) -> str:
    """The Markdown page: how to read it, then one row per behaviour."""
    lines = [
        "# curl against the hostile HTTP/1.1 servers",
        "",
        f"Written by `python -m tests.hostile_table > {TABLE}` with {curl_version()}.",
        "Every behaviour is in `tests/hostile.py`; `tests/test_hostile_curl.py` fails when curl",
        "stops giving the outcomes listed here, so the table holds for the curl named above.",
        "",
        "curl runs as `curl -q -sS -L --max-redirs 10 --max-time 2 --noproxy '*' -o /dev/null`",
        "(`-I` for HEAD), against a server of its own for each run. An outcome is curl's exit",
        "code, then the final status of each URL of the run (`000`: none) with `/N` for N",
        "redirects followed; two statuses mean curl asked for a second URL on the same run",
        '(column "then"), to see what the behaviour did to the connection. After it: the',
        "verdict `curl_verdict` (tests/curl_reference.py) gives, in urlcheck's error kinds. Two",
        "outcomes joined by *or*: a race decides between them. *Connections*: how many the",
        "server accepted in the run (HEAD / GET when they differ).",
        "",
        "| path | behaviour | curl HEAD | curl GET | connections | then | GET went to "
        "| curl says |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for behaviour in BEHAVIOURS.values():
        cells, messages = [], []
        for method in METHODS:
            run = runs[(behaviour.path, method)]
            cell, message = _cell(behaviour, method, seen_outcomes(behaviour, method, run))
            cells.append(cell)
            messages.append(message)
        said = (
            messages[0]
            if messages[0] == messages[1]
            else " / ".join(
                f"{method}: {message or '-'}"
                for method, message in zip(METHODS, messages, strict=True)
            )
        )
        row = [
            f"`{behaviour.path}`",
            behaviour.description,
            *cells,
            _connections(behaviour, runs),
            ", ".join(f"`{path}`" for path in behaviour.then),
            _went_to(runs[(behaviour.path, "GET")]),
            said,
        ]
        lines.append("| " + " | ".join(_escape(cell) for cell in row) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print the table for every behaviour."""
    sys.stdout.write(render_table(run_all()))


if __name__ == "__main__":
    main()
