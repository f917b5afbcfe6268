"""Click's side of the options: parameter types, and errors that are one line on stderr."""

from __future__ import annotations

from typing import IO, Any

import click

from ..models import StatusRanges
from ..options import header_problem, header_value_problem
from ..status import ExitStatus

CONTEXT_SETTINGS = {
    "help_option_names": ["-h", "--help"],
    "auto_envvar_prefix": "URLCHECK",
    "show_default": True,
    "max_content_width": 100,
}


class UsageFailure(click.UsageError):
    """A bad option or argument: one line on stderr (with where to find help) and exit 2."""

    def show(self, file: IO[Any] | None = None) -> None:
        prog = self.ctx.command_path if self.ctx is not None else "urlcheck"
        click.echo(
            f"urlcheck: error: {self.format_message()} (see '{prog} --help')", err=True, file=file
        )


class OneLineErrors(click.Command):
    """A command whose usage errors are one line, like every other error of urlcheck's."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            if isinstance(exc, UsageFailure):
                raise
            raise UsageFailure(exc.format_message(), exc.ctx) from None


Panels = tuple[tuple[str, tuple[str, ...]], ...]
"""(title, option names) of each panel of a command's ``--help``."""


class PanelledCommand(OneLineErrors):
    """A command whose ``--help`` shows its options in `panels`, by concern, drawn by
    rich-click when it is installed: it is imported only to show the help."""

    def __init__(self, *args: Any, panels: Panels = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.panels = panels

    def get_help(self, ctx: click.Context) -> str:
        try:
            from .help import panelled_help
        except ImportError:  # rich-click is missing: Click's own help, in one column
            return super().get_help(ctx)
        return panelled_help(self, ctx)


class InputFailure(click.ClickException):
    """Nothing could be checked: one clear line on stderr and exit 2."""

    exit_code = int(ExitStatus.ERROR)

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"urlcheck: error: {self.format_message()}", err=True, file=file)


class StatusRangesType(click.ParamType[StatusRanges, str]):
    """Click type for ``--accept``: ranges of statuses such as ``200..299,401``."""

    name = "RANGES"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, StatusRanges):
            return value
        try:
            return StatusRanges(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class HeaderType(click.ParamType[tuple[str, str], str]):
    """Click type for ``--header 'Name: value'``."""

    name = "'NAME: VALUE'"
    envvar_list_splitter = "\n"
    """Several headers in URLCHECK_HEADER go on separate lines."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        name, sep, text = str(value).partition(":")
        name = name.strip()
        if not sep or not name:
            self.fail(f"{value!r} is not a header like 'Name: value'", param, ctx)
        text = text.strip(" \t")
        problem = header_problem(name, text)
        if problem is not None:
            self.fail(problem, param, ctx)
        return (name, text)


class HeaderValueType(click.ParamType[str, str]):
    """Click type for a header's value given on its own (``--user-agent``)."""

    name = "TEXT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        problem = header_value_problem(str(value))
        if problem is not None:
            self.fail(problem, param, ctx)
        return str(value)


class LinesType(click.ParamType[str, str]):
    """Click type for a repeatable option whose variable holds one value a line."""

    name = "TEXT"
    envvar_list_splitter = "\n"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return str(value)


class RegexType(LinesType):
    """Click type for a repeatable regular expression (one a line in its variable)."""

    name = "REGEX"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from ..filters import compile_pattern

        try:
            compile_pattern(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return str(value)


class DurationType(click.ParamType[float, str]):
    """Click type for durations such as ``30d``, ``24h``, ``15m``: converted to seconds."""

    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int | float):
            return float(value)
        from ..durations import parse_duration

        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def check_ca_bundle(path: str | None) -> str | None:
    """Load --ca-bundle once up front, so a bad file is a usage error, not a failed run."""
    if path is not None:
        import ssl

        try:
            ssl.create_default_context(cafile=path)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise click.BadParameter(
                f"{path} is not a PEM file of CA certificates ({exc})", param_hint="--ca-bundle"
            ) from None
    return path
