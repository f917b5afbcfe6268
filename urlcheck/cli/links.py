"""The options of links in documents (and, with them, which URLs a run leaves out) and of
web pages and their sites: two panels of `panels.OPTIONS`, in a room of their own."""

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

SITE: tuple[str, list[click.Option]] = (
    "Site",
    [
        click.Option(
            ["--recursive", "-r"],
            is_flag=True,
            show_envvar=True,
            help=(
                "For a page named as FILE (an http(s) URL): also read the HTML pages of its"
                " site that it links to, and theirs, down to --max-depth, robots.txt"
                " honoured; links to other sites are checked, not followed."
            ),
        ),
        click.Option(
            ["--max-depth"],
            type=click.IntRange(0, 100),
            default=3,
            show_default=True,
            metavar="N",
            show_envvar=True,
            help=(
                "With --recursive: the named pages are depth 0; the links of a page at"
                " depth N are checked, not followed."
            ),
        ),
        click.Option(
            ["--max-pages"],
            type=click.IntRange(1, 10_000_000),
            default=10_000,
            show_default=True,
            metavar="N",
            show_envvar=True,
            help="With --recursive: read at most N pages; links past them are still checked.",
        ),
    ],
)
