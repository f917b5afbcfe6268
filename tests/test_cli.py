"""The command line, through Click's CliRunner; where signals and pipes matter, a real process."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import trustme
from click.testing import CliRunner, Result

from urlcheck.cli import cli
from urlcheck.models import CheckResult

from .servers import Served, demo_app, serve_app

FAST = ["--retries", "0", "--timeout", "5"]


def run(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


def url_file(tmp_path: Path, *lines: str, name: str = "urls.txt") -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def mixed(tmp_path: Path, server: Served) -> str:
    return url_file(
        tmp_path,
        "# a comment",
        server.url("/ok"),
        server.url("/status/404"),
        "not-a-url",
        server.url("/redirect/2"),
    )


def test_table_lists_every_url_and_a_summary(mixed: str, server: Served) -> None:
    result = run(*FAST, mixed)
    assert result.exit_code == 1
    out = result.stdout
    for path in ("/ok", "/status/404", "/redirect/2"):
        assert server.url(path) in out
    assert "404 Not Found" in out
    assert "invalid_url" in out
    assert f"2 → {server.url('/redirect/0')}" in out
    assert "2 ok · 2 failed · 4 URLs in" in out
    assert "\x1b[" not in out  # no colour when not a terminal


def test_all_fine_exits_0(tmp_path: Path, server: Served) -> None:
    result = run(*FAST, url_file(tmp_path, server.url("/ok"), server.url("/head405")))
    assert result.exit_code == 0
    assert "2 ok · 0 failed" in result.stdout


def test_json_is_an_array_of_the_documented_fields_in_input_order(mixed: str) -> None:
    result = run(*FAST, "--format", "json", mixed)
    data = json.loads(result.stdout)
    assert [d["line"] for d in data] == [2, 3, 4, 5]
    assert all(list(d) == list(CheckResult.FIELDS) for d in data)
    assert [d["ok"] for d in data] == [True, False, False, True]
    assert [d["error_kind"] for d in data] == [None, "status", "invalid_url", None]
    assert data[2]["error"].endswith("urls.txt:4: not a URL: no http:// or https:// scheme")
    assert result.exit_code == 1


def test_jsonl_streams_one_object_per_line(mixed: str) -> None:
    result = run(*FAST, "--format", "jsonl", mixed)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(r["line"] for r in records) == [2, 3, 4, 5]


def test_csv_has_a_header_and_one_row_per_line(mixed: str) -> None:
    result = run(*FAST, "--format", "csv", mixed)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [int(r["line"]) for r in rows] == [2, 3, 4, 5]
    assert rows[1]["status"] == "404"


def test_quiet_prints_only_failures(mixed: str, server: Served, tmp_path: Path) -> None:
    result = run(*FAST, "--quiet", mixed)
    assert result.exit_code == 1
    assert server.url("/status/404") in result.stdout
    assert server.url("/ok") not in result.stdout
    assert "failed ·" not in result.stdout
    quiet_jsonl = run(*FAST, "-q", "--format", "jsonl", mixed)
    assert {json.loads(x)["line"] for x in quiet_jsonl.stdout.splitlines()} == {3, 4}
    fine = run(*FAST, "-q", url_file(tmp_path, server.url("/ok"), name="fine.txt"))
    assert (fine.exit_code, fine.stdout) == (0, "")


def test_long_lists_show_failures_only_unless_all(tmp_path: Path, server: Served) -> None:
    lines = [server.url(f"/ok?n={n}") for n in range(40)] + [server.url("/status/500")]
    path = url_file(tmp_path, *lines)
    short = run(*FAST, path)
    assert server.url("/status/500") in short.stdout
    assert "200 OK" not in short.stdout  # no fine row is listed
    assert "40 fine URLs not shown" in short.stdout
    full = run(*FAST, "--all", path)
    assert all(line in full.stdout for line in lines)


def test_stdin_with_dash_and_without_files(server: Served) -> None:
    for args in (["-"], []):
        result = run(*FAST, "--format", "jsonl", *args, input=server.url("/ok") + "\n")
        assert result.exit_code == 0
        record = json.loads(result.stdout)
        assert (record["file"], record["line"], record["ok"]) == ("<stdin>", 1, True)


def test_missing_file_alone_is_an_input_error(tmp_path: Path) -> None:
    result = run(str(tmp_path / "nope.txt"))
    assert result.exit_code == 2
    assert "nope.txt: no such file" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_missing_file_beside_a_good_one_still_checks_the_good_one(
    tmp_path: Path, server: Served
) -> None:
    good = url_file(tmp_path, server.url("/ok"))
    result = run(*FAST, str(tmp_path / "nope.txt"), good)
    assert result.exit_code == 1
    assert "nope.txt: no such file" in result.stderr
    assert "1 ok · 0 failed" in result.stdout


def test_a_directory_and_an_empty_list_are_input_errors(tmp_path: Path) -> None:
    directory = run(str(tmp_path))
    assert directory.exit_code == 2
    assert "no Markdown or HTML documents in it" in directory.stderr
    empty = run(url_file(tmp_path, "# nothing here", ""))
    assert empty.exit_code == 2
    assert "no URLs found" in empty.stderr
    assert empty.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--concurrency", "0"], "--concurrency"),
        (["--per-host", "-1"], "--per-host"),
        (["--timeout", "0"], "--timeout"),
        (["--retries", "x"], "--retries"),
        (["--accept", "ok"], "--accept"),
        (["--header", "no colon"], "--header"),
        (["--method", "post"], "--method"),
        (["--format", "xml"], "--format"),
    ],
)
def test_bad_options_exit_2_naming_the_option(
    args: list[str], message: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(cli, [*args, url_file(tmp_path, "http://a.test/")])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("urlcheck: error: ")
    assert result.stderr.count("\n") == 1, result.stderr  # one line, not a usage block


def test_accept_timeout_retries_and_redirect_options(tmp_path: Path, server: Served) -> None:
    path = url_file(tmp_path, server.url("/status/404"))
    assert run(*FAST, "--accept", "200..299,404", path).exit_code == 0
    slow = run(
        "--retries",
        "0",
        "--timeout",
        "0.3",
        "--format",
        "jsonl",
        url_file(tmp_path, server.url("/slow?delay=3"), name="slow.txt"),
    )
    assert json.loads(slow.stdout)["error_kind"] == "timeout"
    flaky = run(
        "--retries",
        "2",
        "--method",
        "get",
        "--format",
        "jsonl",
        url_file(tmp_path, server.url("/flaky/x?fail=1"), name="flaky.txt"),
    )
    assert json.loads(flaky.stdout)["attempts"] == 2
    loop = run(
        *FAST,
        "--max-redirects",
        "3",
        "--format",
        "jsonl",
        url_file(tmp_path, server.url("/redirect/5"), name="redir.txt"),
    )
    assert json.loads(loop.stdout)["error_kind"] == "too_many_redirects"


def test_method_user_agent_and_headers_reach_the_server(tmp_path: Path, server: Served) -> None:
    path = url_file(tmp_path, server.url("/ok"))
    result = run(
        *FAST,
        "--method",
        "GET",
        "--user-agent",
        "probe/2",
        "--header",
        "X-One: 1",
        "--header",
        "X-Two:  two words",
        path,
    )
    assert result.exit_code == 0
    method, _, headers = server.log[-1]
    assert method == "GET"
    assert headers["User-Agent"] == "probe/2"
    assert (headers["X-One"], headers["X-Two"]) == ("1", "two words")


def test_concurrency_and_per_host_options_bound_the_load(tmp_path: Path, server: Served) -> None:
    path = url_file(tmp_path, *(server.url(f"/slow?delay=0.2&n={n}") for n in range(8)))
    run(*FAST, "--concurrency", "2", "--per-host", "0", path)
    assert server.state["peak"] == 2
    server.state["peak"] = 0
    run(*FAST, "--concurrency", "8", "--per-host", "3", path)
    assert server.state["peak"] == 3


def test_every_option_has_an_environment_variable(tmp_path: Path, server: Served) -> None:
    path = url_file(tmp_path, server.url("/status/404"))
    env = {
        "URLCHECK_ACCEPT": "404",
        "URLCHECK_FORMAT": "jsonl",
        "URLCHECK_RETRIES": "0",
        "URLCHECK_HEADER": "X-Env: yes",
    }
    result = run(path, env=env)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["ok"] is True
    assert server.log[-1][2]["X-Env"] == "yes"


def test_insecure_skips_certificate_checks(tmp_path: Path) -> None:
    ca = trustme.CA()
    context = __import__("ssl").create_default_context(__import__("ssl").Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with serve_app(demo_app(), ssl_context=context) as tls:
        path = url_file(tmp_path, tls.url("/ok"))
        strict = run(*FAST, "--format", "jsonl", path)
        assert json.loads(strict.stdout)["error_kind"] == "tls"
        relaxed = run(*FAST, "--format", "jsonl", "--insecure", path)
        assert json.loads(relaxed.stdout)["ok"] is True


def test_passwords_never_appear_in_any_format(tmp_path: Path, server: Served) -> None:
    secret_url = server.url("/auth").replace("://", "://user:s3cret@")
    path = url_file(tmp_path, secret_url, "ftp://user:s3cret@example.com/", "u:s3cret@host")
    for fmt in ("table", "json", "jsonl", "csv"):
        result = run(*FAST, "--format", fmt, path)
        assert "s3cret" not in result.stdout + result.stderr
        assert "user:***@" in result.stdout


def test_help_documents_every_option_and_the_exit_codes() -> None:
    result = run("-h")
    assert result.exit_code == 0
    for param in cli.params:
        if isinstance(param, __import__("click").Option):
            assert param.help, f"{param.name} has no help text"
            assert param.opts[-1] in result.stdout
    assert "Examples:" in result.stdout
    assert "130" in result.stdout
    assert "URLCHECK_" in result.stdout


def test_every_option_is_in_one_help_panel_and_in_the_readme() -> None:
    from urlcheck.cli.panels import PANELS

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    options = [p for p in cli.params if isinstance(p, __import__("click").Option)]
    paneled = [name for _, names in PANELS for name in names]
    assert len(paneled) == len(set(paneled)), "an option in two panels"
    for param in options:
        if param.name == "version":
            continue
        assert param.opts[0] in paneled, f"{param.opts[0]} is in no --help panel"
        assert f"`{param.opts[0]}" in readme, f"{param.opts[0]} is not in the README"
    result = run("-h")
    for title, _ in PANELS:
        assert title in result.stdout


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("urlcheck ")


# Real processes: signals, pipes, start-up cost.


def urlcheck_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "urlcheck", *args]


def test_python_dash_m_runs_the_command(tmp_path: Path, server: Served) -> None:
    proc = subprocess.run(
        urlcheck_cmd(*FAST, url_file(tmp_path, server.url("/ok"))),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert "1 ok · 0 failed" in proc.stdout


def test_version_imports_neither_the_network_stack_nor_flask() -> None:
    code = (
        "import sys; from urlcheck.cli import main; sys.argv=['urlcheck','--version']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('aiohttp','rich','flask','waitress') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_checking_does_not_import_flask(tmp_path: Path, server: Served) -> None:
    # Nor what only other runs use: the monitor's options, the page reader; nor OpenSSL's
    # hashes, for the ids (urls.sha256).
    lazy = ("flask", "waitress", "urlcheck.cli.monitoring", "urlcheck.pages", "_hashlib")
    code = (
        "import sys, atexit\n"
        "atexit.register(lambda: sys.stderr.write('MODULES ' + str("
        f"sorted(m for m in {lazy!r} if m in sys.modules)) + '\\n'))\n"
        "from urlcheck.cli import main; main()"
    )
    path = url_file(tmp_path, server.url("/ok"))
    proc = subprocess.run(
        [sys.executable, "-c", code, *FAST, path], capture_output=True, text=True, timeout=60
    )
    assert "MODULES []" in proc.stderr


@pytest.fixture
def slow_list(tmp_path: Path, server: Served) -> str:
    return url_file(
        tmp_path,
        server.url("/ok"),
        server.url("/status/404"),
        *(server.url(f"/slow?delay=60&n={n}") for n in range(5)),
    )


@pytest.mark.parametrize("fmt", ["table", "jsonl", "json", "csv"])
def test_ctrl_c_stops_promptly_prints_what_finished_and_exits_130(
    slow_list: str, server: Served, fmt: str
) -> None:
    proc = subprocess.Popen(
        urlcheck_cmd(*FAST, "--format", fmt, slow_list),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while len(server.log) < 7 and time.monotonic() < deadline:  # every check is under way
        time.sleep(0.05)
    time.sleep(0.3)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    took = time.monotonic() - sent
    assert proc.returncode == 130
    assert took < 1.5, f"took {took:.2f} s to stop"
    assert "Traceback" not in err
    assert server.url("/ok") in out
    assert server.url("/status/404") in out
    assert server.url("/slow?delay=60&n=0") not in out


def test_a_closed_pipe_ends_the_run_quietly(tmp_path: Path, server: Served) -> None:
    path = url_file(tmp_path, *(server.url(f"/ok?n={n}") for n in range(300)))
    for fmt in ("jsonl", "table", "csv"):
        command = " ".join(urlcheck_cmd(*FAST, "--all", "--format", fmt, path))
        proc = subprocess.run(
            f"{command} | head -1",
            shell=True,
            capture_output=True,
            text=True,
            timeout=60,
            # Any PYTHONUNBUFFERED value turns buffering off, and then a write to the closed
            # pipe can end short without an error: the broken-pipe path must be what is tested.
            env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
        )
        assert proc.stdout.count("\n") == 1
        assert proc.stderr == "", proc.stderr


def test_jsonl_rows_come_out_while_the_run_goes_on(tmp_path: Path, server: Served) -> None:
    """Rows are flushed once per turn of the loop, not once per row: still, a fast URL's row
    is out long before a slow URL of the same run has answered."""
    path = url_file(tmp_path, server.url("/ok"), server.url("/slow?delay=3&n=1"))
    started = time.monotonic()
    with subprocess.Popen(
        urlcheck_cmd(*FAST, "--format", "jsonl", path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
    ) as proc:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        first_at = time.monotonic() - started
        second = json.loads(proc.stdout.readline())
        done_at = time.monotonic() - started
        proc.wait(timeout=30)
    assert first["url"] == server.url("/ok")
    assert second["url"].startswith(server.url("/slow"))
    assert first_at < done_at - 2, (first_at, done_at)
    assert proc.returncode == 0


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("fmt", ["jsonl", "table", "json"])
def test_a_full_disk_is_one_line_and_exit_2(
    tmp_path: Path, server: Served, fmt: str, buffered: bool
) -> None:
    path = url_file(tmp_path, *(server.url(f"/ok?n={n}") for n in range(50)))
    # Buffered, what is left in the buffer fails again at the last flush: still exit 2.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            urlcheck_cmd(*FAST, "--all", "--format", fmt, path),
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env=env,
        )
    assert proc.returncode == 2
    assert proc.stderr == "urlcheck: error: cannot write the results: No space left on device\n"


def test_the_quick_exit_loses_no_output_and_keeps_the_status(
    tmp_path: Path, server: Served
) -> None:
    """The process ends without tearing Python down (`urlcheck.__main__._exit`): every
    buffered line still reaches the file, and the exit status is the run's."""
    urls = [server.url(f"/ok?n={n}") for n in range(2000)] + [server.url("/status/404")]
    path = url_file(tmp_path, *urls)
    out = tmp_path / "out.jsonl"
    with out.open("w") as stream:
        proc = subprocess.run(
            urlcheck_cmd(*FAST, "--format", "jsonl", path),
            stdout=stream,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
        )
    assert proc.returncode == 1, proc.stderr  # one URL failed
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == len(urls)
    assert sum(not row["ok"] for row in rows) == 1
    assert proc.stderr == ""


def test_a_low_open_file_limit_is_raised_for_the_concurrency(
    tmp_path: Path, server: Served
) -> None:
    """Started with room for 64 open files, a run of 200 checks at once still makes its 200
    connections: it raises its soft limit towards the hard one first."""
    import resource

    def low_limit() -> None:
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
        )

    urls = [server.url(f"/slow?delay=0.5&n={n}") for n in range(200)]
    path = url_file(tmp_path, *urls)
    proc = subprocess.run(
        urlcheck_cmd(*FAST, "--concurrency", "200", "--per-host", "0", "--format", "jsonl", path),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=low_limit,
    )
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(rows) == 200
    assert all(row["ok"] for row in rows), [r["error"] for r in rows if not r["ok"]][:3]
    assert proc.returncode == 0, proc.stderr
    assert server.state["peak"] > 64  # more connections at once than the limit it started with


@pytest.mark.parametrize("fmt", ["junit", "prometheus", "markdown"])
def test_ci_formats_cover_every_line(fmt: str, mixed: str) -> None:
    result = run(*FAST, "--format", fmt, mixed)
    assert result.exit_code == 1
    out = result.stdout
    assert {
        "junit": out.count("<testcase "),
        "prometheus": out.count("probe_success{"),
        "markdown": sum(line.startswith(("| ✅", "| ❌")) for line in out.splitlines()),
    }[fmt] == 4


def test_output_file_is_written_atomically_for_every_format(tmp_path: Path, mixed: str) -> None:
    for fmt in ("table", "json", "jsonl", "csv", "junit", "prometheus", "markdown"):
        target = tmp_path / f"report.{fmt}"
        target.write_text("old report")
        result = run(*FAST, "--format", fmt, "--output", str(target), mixed)
        assert result.exit_code == 1
        assert result.stdout == ""
        written = target.read_text()
        assert "old report" not in written
        assert "not-a-url" in written
        assert target.stat().st_mode & 0o044 == 0o044  # readable by a metrics collector
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_output_to_what_is_no_regular_file_writes_to_it_and_leaves_it_there(
    tmp_path: Path, mixed: str
) -> None:
    # A named pipe stands for /dev/null and /dev/stdout: renaming a file over it would put a
    # file in its place (run as root, /dev/null replaced by a regular file, for everyone).
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    names = sorted(p.name for p in tmp_path.iterdir())
    received: list[str] = []

    def read() -> None:
        with pipe.open(encoding="utf-8") as reader:
            received.append(reader.read())

    reader = threading.Thread(target=read)
    reader.start()
    try:
        result = run(*FAST, "--format", "jsonl", "--output", str(pipe), mixed)
    finally:
        if not received:  # the reader's open waits for a writer: be that writer, or it hangs
            reader.join(timeout=2)
            if reader.is_alive():
                with contextlib.suppress(OSError):
                    fd = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)
                    os.close(fd)
        reader.join(timeout=10)
    assert result.exit_code == 1
    assert stat.S_ISFIFO(pipe.lstat().st_mode), "the pipe is still a pipe"
    assert len(received[0].splitlines()) == 4
    assert "not-a-url" in received[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == names, "no temporary file left"


def test_output_through_a_symbolic_link_replaces_the_file_it_names(
    tmp_path: Path, mixed: str
) -> None:
    real = tmp_path / "reports" / "today.json"
    real.parent.mkdir()
    real.write_text("old report")
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    result = run(*FAST, "--format", "json", "--output", str(link), mixed)
    assert result.exit_code == 1
    assert link.is_symlink(), "the link is kept"
    assert "not-a-url" in real.read_text()
    assert sorted(p.name for p in real.parent.iterdir()) == ["today.json"]


def test_output_to_a_missing_directory_is_an_input_error(tmp_path: Path, mixed: str) -> None:
    result = run("--output", str(tmp_path / "no" / "such" / "dir" / "out.txt"), mixed)
    assert result.exit_code == 2
    assert "cannot write" in result.stderr
    assert run("--output", str(tmp_path), mixed).exit_code == 2


def test_on_a_terminal_there_is_colour_and_a_progress_bar(tmp_path: Path, server: Served) -> None:
    import pty
    import select

    path = url_file(tmp_path, server.url("/slow?delay=1.5"), server.url("/status/404"))
    out_master, out_slave = pty.openpty()
    err_master, err_slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "200", "LINES": "40", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(urlcheck_cmd(*FAST, path), stdout=out_slave, stderr=err_slave, env=env)
    os.close(out_slave)
    os.close(err_slave)
    captured = {out_master: b"", err_master: b""}
    open_fds = set(captured)
    while open_fds:
        ready, _, _ = select.select(list(open_fds), [], [], 20)
        assert ready, "no output for 20 s"
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the pty closes with EIO once the process is gone
                chunk = b""
            if chunk:
                captured[fd] += chunk
            else:
                open_fds.discard(fd)
    assert proc.wait(timeout=20) == 1
    stdout, stderr = captured[out_master].decode(), captured[err_master].decode()
    assert "\x1b[" in stdout  # colour
    assert "404 Not Found" in stdout
    assert "checking" in stderr  # the progress bar ran on stderr
    assert "1/2" in stderr


def test_far_apart_duplicates_in_a_file_are_checked_once(tmp_path: Path, server: Served) -> None:
    again = server.url("/ok?again")
    lines = [again, *(server.url(f"/ok?n={n}") for n in range(300)), again]
    result = run(*FAST, "--format", "jsonl", url_file(tmp_path, *lines))
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 302
    assert sorted(r["line"] for r in records if r["url"] == again) == [1, 302]
    assert server.requests_to("/ok?again") == ["HEAD"]


def test_ctrl_c_at_any_moment_of_a_long_run_exits_130(tmp_path: Path, server: Served) -> None:
    path = tmp_path / "long.txt"
    path.write_text("".join(f"{server.url('/ok')}?n={n}\n" for n in range(300_000)))
    for delay in (0.25, 0.6, 1.5):  # imports, the first pass over the file, the checks
        proc = subprocess.Popen(urlcheck_cmd(*FAST, str(path)), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)  # fmt: skip
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, (delay, err)
        assert "Aborted" not in err
        assert "Traceback" not in err
