"""``--help`` in panels by concern, drawn by rich-click with the rich urlcheck already has.

Imported only to show the help (`params.PanelledCommand.get_help`): a run never loads it.
The panels are the command's own (`panels.PANELS` for the check); an option in none of them
would be left out of the help, which tests/test_cli.py rules out.
"""

from __future__ import annotations

import click
from rich_click import RichCommand, RichHelpConfiguration
from rich_click.rich_context import RichContext
from rich_click.utils import OptionGroupDict

WIDTH = 100
"""Columns of the help at most, as Click's max_content_width."""


def panelled_help(command: click.Command, ctx: click.Context) -> str:
    """`command`'s help text, its options in its panels (`params.PanelledCommand.panels`;
    plain text when the output is not a terminal, so it reads the same in a file)."""
    panels: tuple[tuple[str, tuple[str, ...]], ...] = getattr(command, "panels", ())
    groups: list[OptionGroupDict] = [
        {"name": name, "options": list(options)} for name, options in panels
    ]
    groups.append({"name": "Help", "options": ["--version", "--help"]})
    config = RichHelpConfiguration(
        option_groups={ctx.command_path: groups},
        max_width=WIDTH,
        use_click_short_help=True,
        text_markup="ansi",
        options_table_column_types=["opt_short", "opt_long", "help"],
        options_table_help_sections=["help", "envvar", "default", "metavar"],
    )
    drawn = RichCommand(
        name=command.name,
        params=command.params,
        help=command.help,
        epilog=command.epilog,
        context_settings=command.context_settings,
    )
    rich_ctx = RichContext(
        drawn,
        info_name=ctx.info_name,
        parent=ctx.parent,
        rich_help_config=config,
        **{key: value for key, value in command.context_settings.items() if key != "obj"},
    )
    return drawn.get_help(rich_ctx)
