"""The command line: ``urlcheck [OPTIONS] FILE...`` (`check`), ``urlcheck history``
(`history`) and ``urlcheck worker`` (in `urlcheck.distributed`), with their Click types and
one-line errors (`params`), the terminal run (`runner`) and the panels of ``--help`` (`help`,
loaded only to show it)."""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import click

    from .check import cli
    from .history import history_command

__all__ = ["cli", "history_command", "main"]


SUBCOMMANDS: dict[str, str] = {
    "history": "urlcheck.cli.history:history_command",
    "incidents": "urlcheck.cli.history:incidents_command",
    "worker": "urlcheck.cli.worker:worker_command",
}
"""Commands beside the check itself (``urlcheck NAME …``) → "module:command", imported on use.

The check takes bare FILE arguments, so a Click group cannot tell ``urlcheck history`` from a
file named ``history``; a name here wins (write ``./history`` for such a file)."""


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `urlcheck` console script."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in SUBCOMMANDS:
        module, _, name = SUBCOMMANDS[args[0]].partition(":")
        command: click.Command = getattr(importlib.import_module(module), name)
        command.main(args[1:], prog_name=f"urlcheck {args[0]}", auto_envvar_prefix="URLCHECK")
        return
    from .check import cli

    cli.main(args, prog_name="urlcheck")


def __getattr__(name: str) -> Any:
    """The commands, imported on first use (PEP 562)."""
    homes = {"cli": ".check", "history_command": ".history"}
    if name not in homes:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(homes[name], __name__), name)
