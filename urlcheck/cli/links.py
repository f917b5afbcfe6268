"""The options of links in documents (and, with them, which URLs a run leaves out): a
panel of `panels.OPTIONS`, in a room of its own."""

from __future__ import annotations

import click

from .params import RegexType

DOCUMENTS: tuple[str, list[click.Option]] = (
    "Documents",
    [
        click.Option(
            ["--exclude"],
            type=RegexType(),
            multiple=True,
            metavar="REGEX",
            show_envvar=True,
            help=(
                "Leave out the URLs this regular expression matches anywhere (as written):"
                " never requested, no result. Repeatable; .urlcheckignore in the working"
                " directory adds one a line."
            ),
        ),
        click.Option(
            ["--include"],
            type=RegexType(),
            multiple=True,
            metavar="REGEX",
            show_envvar=True,
            help=(
                "Check the URLs this regular expression matches even when an --exclude"
                " does; given without --exclude, check only those. Repeatable."
            ),
        ),
        click.Option(
            ["--exclude-path"],
            multiple=True,
            metavar="GLOB",
            show_envvar=True,
            help=(
                "Leave out of a walked directory the files and directories this glob"
                " matches, relative to it (docs/old, *.draft.md). .git and node_modules"
                " are always left out. Repeatable."
            ),
        ),
        click.Option(
            ["--root-dir"],
            type=click.Path(exists=True, file_okay=False),
            show_envvar=True,
            help=(
                "Where a document's root-relative links (/guide.html) are looked for on"
                " disk; without it they fail as invalid_url."
            ),
        ),
        click.Option(
            ["--offline"],
            is_flag=True,
            show_envvar=True,
            help=(
                "Request nothing: check documents' local links and fragments only, and"
                " list their remote links as skipped. Not for lists of URLs."
            ),
        ),
        click.Option(
            ["--fragments"],
            is_flag=True,
            show_envvar=True,
            help=(
                "Also check the #fragment of a document's remote links: GET the page and"
                " look for the id (a local file's fragments are always checked)."
            ),
        ),
    ],
)
