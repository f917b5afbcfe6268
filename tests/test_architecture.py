"""The house's rules, read off the code: no import circle, small rooms, async only where
something is awaited (docs/architecture.md draws the house these hold)."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "urlcheck"
MODULE_MAX_LINES = 500


def modules() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its __init__.py)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The package's own modules that `name` imports, anywhere in it (a function's lazy
    import ties two modules as much as a top-level one)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            for alias in node.names:
                if f"{target}.{alias.name}" in known:
                    yield f"{target}.{alias.name}"
                elif target in known:
                    yield target
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in known)


def test_no_module_imports_itself_through_others() -> None:
    found = modules()
    graph = {name: set(imports(name, path, set(found))) - {name} for name, path in found.items()}
    circles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append([*trail[trail.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert circles == [], "import circles: " + "; ".join(" -> ".join(c) for c in circles)


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_grows_past_its_job(name: str) -> None:
    lines = len(modules()[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MODULE_MAX_LINES, f"{name} has {lines} lines: give its second job a room"


def test_web_hooks_are_async_only_where_they_await(tmp_path: Path) -> None:
    from urlcheck.web import create_app

    listing = tmp_path / "urls.txt"
    listing.write_text("http://127.0.0.1:1/\n")
    app = create_app([str(listing)])
    (load_list,) = app.before_request_funcs[None]
    assert inspect.iscoroutinefunction(load_list)  # it reads the URL files off the loop
    for hook in app.after_request_funcs[None]:
        assert not inspect.iscoroutinefunction(hook), hook.__name__
    for handlers in app.error_handler_spec[None].values():
        for handler in handlers.values():
            assert not inspect.iscoroutinefunction(handler), handler.__name__
