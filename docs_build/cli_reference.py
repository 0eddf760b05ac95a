"""The command-line reference, generated from the click commands when the site is built.

English: each command's own ``--help`` (:func:`markdown`). Chinese: the same commands, usage
lines, options and defaults from click, with the help texts translated in ``cli.zh.yaml``
(:func:`markdown_zh`). Each translation keeps a fingerprint of the English text it translates,
so an edited help text shows as stale (:func:`zh_problems`; ``python -m
docs_build.cli_reference`` prints what to translate or re-check, with the new fingerprints).
"""

from __future__ import annotations

import hashlib
import inspect
import re
from pathlib import Path

import click
import yaml

from qaworkbench.cli import main

ZH_FILE = Path(__file__).with_name("cli.zh.yaml")


# Each command's context as the CLI makes it (``-h`` beside ``--help`` comes from ``qaw``'s
# settings, which a context without its parent does not inherit), text wrapped at 100.
_SETTINGS = {**main.context_settings, "max_content_width": 100}


def _commands(group: click.Group, ctx: click.Context, prefix: str) -> list[tuple[str, str]]:
    """Every command under ``group`` as (full name, help text), in alphabetical order."""
    return [(full, cmd.get_help(sub)) for full, cmd, sub in _walk(group, ctx, prefix)]


def _walk(
    group: click.Group, ctx: click.Context, prefix: str
) -> list[tuple[str, click.Command, click.Context]]:
    """Every visible command under ``group`` as (full name, command, its context), alphabetical."""
    out = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None or cmd.hidden:
            continue
        full = f"{prefix} {name}"
        sub = click.Context(cmd, info_name=full, parent=None, **_SETTINGS)
        out.append((full, cmd, sub))
        if isinstance(cmd, click.Group):
            out += _walk(cmd, sub, full)
    return out


def _all() -> list[tuple[str, click.Command, click.Context]]:
    """``qaw`` itself, then every visible command under it."""
    root = click.Context(main, info_name="qaw", **_SETTINGS)
    return [("qaw", main, root), *_walk(main, root, "qaw")]


def markdown() -> str:
    """Every ``qaw`` command's ``--help`` as a Markdown section (the texts are the CLI's own)."""
    root = click.Context(main, info_name="qaw", **_SETTINGS)
    parts = ["## qaw\n", "```text", main.get_help(root), "```\n"]
    for full, text in _commands(main, root, "qaw"):
        anchor = full.replace(" ", "-")
        parts += [f"## {full} {{#{anchor}}}\n", "```text", text, "```\n"]
    return "\n".join(parts)


# --- the Chinese page -------------------------------------------------------------------------


def fingerprint(text: str) -> str:
    """A short hash of an English text, blind to how it is wrapped (click re-wraps it anyway)."""
    words = " ".join(text.replace("\b", " ").split())
    return hashlib.sha256(words.encode("utf-8")).hexdigest()[:12]


def command_source(cmd: click.Command) -> str:
    """The English a command's zh entry translates: its docstring as click shows it."""
    text = inspect.cleandoc(cmd.help or "").split("\f", 1)[0]
    return "\n".join(line for line in text.splitlines() if line != "\b")  # click's no-rewrap mark


def param_key(param: click.Parameter) -> str:
    """A parameter's key in ``cli.zh.yaml``: its long flag (``--month``), an argument's NAME."""
    if isinstance(param, click.Argument):
        return param.human_readable_name
    return next((o for o in param.opts if o.startswith("--")), param.opts[0])


def param_source(param: click.Parameter, ctx: click.Context) -> str:
    """The English a parameter's zh entry translates: its help, else what click shows of it.

    An argument has no help in click, and a few options have none: their entry describes the
    usage piece (``{coaching|meeting}``) or the flag with its metavar (``--port INTEGER``).
    """
    if isinstance(param, click.Option):
        return param.help or param.get_help_record(ctx)[0]
    return " ".join(param.get_usage_pieces(ctx))


def _params(cmd: click.Command, ctx: click.Context) -> list[click.Parameter]:
    """The parameters click shows: arguments, and options not hidden (``--help`` included)."""
    return [p for p in cmd.get_params(ctx) if not (isinstance(p, click.Option) and p.hidden)]


def _zh_entries() -> dict:
    """``cli.zh.yaml``: full command name -> {source, help, params: {key: {source, help}}}."""
    return yaml.safe_load(ZH_FILE.read_text(encoding="utf-8")) if ZH_FILE.exists() else {}


def zh_problems() -> list[str]:
    """What ``cli.zh.yaml`` lacks or has stale against the commands, and what it has extra.

    Each problem is one line naming the command (and parameter), the English text and the
    fingerprint to record once the Chinese says what it says.
    """
    zh, out = _zh_entries(), []
    seen = set()
    for full, cmd, ctx in _all():
        seen.add(full)
        entry = zh.get(full)
        src = command_source(cmd)
        if not isinstance(entry, dict) or not entry.get("help"):
            out.append(f"{full}: no translation [source {fingerprint(src)}]: {src!r}")
            entry = {}
        elif entry.get("source") != fingerprint(src):
            out.append(f"{full}: stale (the English changed) [source {fingerprint(src)}]: {src!r}")
        params = entry.get("params") or {}
        keys = set()
        for p in _params(cmd, ctx):
            key, psrc = param_key(p), param_source(p, ctx)
            keys.add(key)
            pz = params.get(key)
            if not isinstance(pz, dict) or not pz.get("help"):
                out.append(f"{full} {key}: no translation [source {fingerprint(psrc)}]: {psrc!r}")
            elif pz.get("source") != fingerprint(psrc):
                out.append(
                    f"{full} {key}: stale (the English changed) "
                    f"[source {fingerprint(psrc)}]: {psrc!r}"
                )
        out += [f"{full} {k}: no such parameter any more" for k in sorted(set(params) - keys)]
    out += [f"{name}: no such command any more" for name in sorted(set(zh) - seen)]
    return out


def _anchor(full: str) -> str:
    return full.replace(" ", "-")


def _cell(text: str) -> str:
    """Text for one table cell: one line, its pipes escaped outside code spans (a table keeps
    a code span's pipes, as in ``[duckdb|spark]``, and would show a backslash there)."""
    parts = re.split(r"(`+.+?`+)", _unwrap(text).replace("\n", " "))
    return "".join(p if p.startswith("`") else p.replace("|", "\\|") for p in parts)


def _code(text: str) -> str:
    """``text`` as a code span (in a table cell too: the table keeps a code span's pipes)."""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _key(text: str) -> str:
    """A table's first-column code span, kept on one line: the theme would break a flag or a
    command name anywhere (``neighbour`` / ``s``) to narrow the column."""
    return f'<span style="white-space: nowrap">{_code(text)}</span>'


def _unwrap(text: str) -> str:
    """Markdown paragraphs with their lines joined as the guides write them: nothing between two
    Chinese characters or beside full-width punctuation (a browser would show a space for the
    line break), a space between Chinese and Latin text or code, as between two Latin words."""
    paragraphs = []
    for para in text.strip().split("\n\n"):
        joined = ""
        for line in (ln.strip() for ln in para.splitlines()):
            if joined and line:
                a, b = joined[-1], line[0]
                tight = (_wide(a) and _wide(b)) or _punct(a) or _punct(b)
                joined += "" if tight else " "
            joined += line
        paragraphs.append(joined)
    return "\n\n".join(paragraphs)


def _wide(char: str) -> bool:
    """A Chinese character or full-width punctuation mark."""
    return ord(char) >= 0x2E80


def _punct(char: str) -> bool:
    """Chinese punctuation: CJK symbols (、。「」) and full-width forms (，：；（）)."""
    return 0x3000 <= ord(char) <= 0x303F or 0xFF00 <= ord(char) <= 0xFFEF or char in "“”‘’"


def _zh_help(cmd: click.Command, entry: dict) -> str:
    """The command's Chinese help; the English, marked, where there is none yet (a stale
    translation still shows, and the build warns: see docs_build/hooks.py)."""
    if entry.get("help"):
        return _unwrap(entry["help"])
    return f"（尚无中文说明）{command_source(cmd)}"


def _zh_summary(cmd: click.Command, entry: dict) -> str:
    return _zh_help(cmd, entry).split("\n\n", 1)[0].replace("\n", "")


def _option_row(p: click.Option, ctx: click.Context, zh: dict) -> str:
    flags = p.get_help_record(ctx)[0]
    text = (zh.get("help") or f"（尚无中文说明）{param_source(p, ctx)}").strip()
    extra = p.get_help_extra(ctx)
    notes = []
    if extra.get("required"):
        notes.append("必填。")
    if "default" in extra:
        notes.append(f"默认：{_code(extra['default'])}。")
    if "range" in extra:
        notes.append(f"取值范围：{_code(extra['range'])}。")
    if extra.get("envvars"):
        notes.append(f"环境变量：{'、'.join(_code(e) for e in extra['envvars'])}。")
    return f"| {_cell(_key(flags))} | {_cell(text + ''.join(notes))} |"


def _argument_row(p: click.Argument, ctx: click.Context, zh: dict) -> str:
    text = (zh.get("help") or f"（尚无中文说明）{param_source(p, ctx)}").strip()
    if p.required:
        text += "必填。"
    else:
        text += "可省略。"
        default = p.get_default(ctx, call=False)
        unset = getattr(click.core, "UNSET", None)  # click 8.3+: no default given
        if default is not None and default is not unset and not callable(default):
            text += f"默认：{_code(str(default))}。"
    return f"| {_cell(_key(' '.join(p.get_usage_pieces(ctx))))} | {_cell(text)} |"


def markdown_zh() -> str:
    """Every ``qaw`` command as a Chinese Markdown section: usage, description, options.

    The usage lines, flags, metavars and defaults are click's; the texts are ``cli.zh.yaml``'s.
    The anchors are the English page's (``{#qaw-autoqa-review}``), so links work on both.
    """
    zh = _zh_entries()
    commands = _all()
    parts = []
    for full, cmd, ctx in commands:
        entry = zh.get(full) or {}
        params = entry.get("params") or {}
        usage = " ".join([ctx.command_path, *cmd.collect_usage_pieces(ctx)])
        heading = f"## {_code(full)} {{#{_anchor(full)}}}\n"
        parts += [heading, f"用法：{_code(usage)}\n", _zh_help(cmd, entry), ""]
        shown = _params(cmd, ctx)
        arguments = [p for p in shown if isinstance(p, click.Argument)]
        options = [p for p in shown if isinstance(p, click.Option)]
        if arguments:
            parts += ["| 参数 | 说明 |", "| --- | --- |"]
            for p in arguments:
                parts.append(_argument_row(p, ctx, params.get(param_key(p)) or {}))
            parts.append("")
        if options:
            parts += ["| 选项 | 说明 |", "| --- | --- |"]
            parts += [_option_row(p, ctx, params.get(param_key(p)) or {}) for p in options]
            parts.append("")
        if isinstance(cmd, click.Group):
            subs = [(f, c) for f, c, _ in commands if f != full and f.rsplit(" ", 1)[0] == full]
            parts += ["| 子命令 | 说明 |", "| --- | --- |"]
            for f, c in subs:
                link = f"[{_key(f.rsplit(' ', 1)[1])}](#{_anchor(f)})"  # as click lists them
                parts.append(f"| {link} | {_cell(_zh_summary(c, zh.get(f) or {}))} |")
            parts.append("")
    return "\n".join(parts)


if __name__ == "__main__":  # what cli.zh.yaml lacks, with the English and its fingerprint
    problems = zh_problems()
    print("\n".join(problems) or f"{ZH_FILE.name}: every command and parameter translated")
    raise SystemExit(1 if problems else 0)
