"""The command-line reference, generated from the click commands when the site is built."""

from __future__ import annotations

import click

from qaworkbench.cli import main


def _commands(group: click.Group, ctx: click.Context, prefix: str) -> list[tuple[str, str]]:
    """Every command under ``group`` as (full name, help text), in alphabetical order."""
    out = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None or cmd.hidden:
            continue
        full = f"{prefix} {name}"
        sub = click.Context(cmd, info_name=full, parent=None, max_content_width=100)
        out.append((full, cmd.get_help(sub)))
        if isinstance(cmd, click.Group):
            out += _commands(cmd, sub, full)
    return out


def markdown() -> str:
    """Every ``qaw`` command's ``--help`` as a Markdown section (the texts are the CLI's own)."""
    root = click.Context(main, info_name="qaw", max_content_width=100)
    parts = ["## qaw\n", "```text", main.get_help(root), "```\n"]
    for full, text in _commands(main, root, "qaw"):
        anchor = full.replace(" ", "-")
        parts += [f"## {full} {{#{anchor}}}\n", "```text", text, "```\n"]
    return "\n".join(parts)
