"""The ``qaw`` command line: demo data, validation, sampling, scoring, reports and dashboards.

Why this module is long: it is every ``qaw`` command and its options in one place, so
the module reads like ``qaw --help``. Each command parses its options, calls the
package and prints; none computes anything itself.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import click

from . import settings
from ._version import __version__
from .errors import ConfigError, QAWError
from .privacy import mask_text


def _setting(name: str):
    """A click callback: the option's value, else the setting (environment, qaw.yaml, default)."""
    return lambda ctx, param, value: settings.get(name, value)


DATA_OPTION = click.option(
    "--data",
    default=None,
    callback=_setting("data"),
    help="Data folder (or database URL where supported) [default: the workspace's data setting: "
    "QAW_DATA, qaw.yaml data, else data/ (data/demo in the repository)].",
)
SAMPLE_DIR_OPTION = click.option(
    "--out", type=click.Path(path_type=Path), default=None,
    help="The sample's folder [default: reports/samples/<month>].",
)  # fmt: skip


class _Guarded(click.Group):
    """Every command's errors as one clear message and exit 1, never a traceback: input and
    configuration errors as they are; an unexpected error with its type and message, its
    traceback kept in a log file for a bug report."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except (QAWError, ConfigError) as e:
            click.echo(mask_text(str(e)), err=True)
            sys.exit(1)
        except OSError as e:
            where = f"{e.filename}: " if e.filename else ""
            click.echo(mask_text(f"{where}{e.strerror or e}"), err=True)
            sys.exit(1)
        except Exception as e:
            log = _error_log(e)
            click.echo(
                mask_text(
                    f"qaw: unexpected {type(e).__name__}: {e} (the details are in {log}; "
                    "please report it with the command you ran)"
                ),
                err=True,
            )
            sys.exit(2)


def _error_log(e: Exception) -> Path:
    import tempfile
    import traceback

    log = Path(tempfile.gettempdir()) / "qaw-errors.log"
    with log.open("a", encoding="utf-8") as f:
        f.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} qaw {' '.join(sys.argv[1:])}\n")
        f.write(mask_text("".join(traceback.format_exception(e))))
    return log


def _notes(lines: list[str]) -> None:
    """What the data did not allow, one line each (an absent optional table or column)."""
    for line in lines:
        click.echo(f"note: {line}")


@click.group(cls=_Guarded, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="qaw")
def main() -> None:
    """QA Workbench: contact-center quality assurance (质检) from exports to reports.

    \b
    Commands run in a workspace: the current folder or the nearest parent holding qaw.yaml
    (`qaw init FOLDER` writes one; QAW_WORKSPACE names one), so no --data is needed. In a
    clone of the repository without one, the clone is the workspace (data/demo, reports/).
    Each setting resolves as: flag, then environment variable, then qaw.yaml, then default
    (`qaw config` shows them). A template is looked up in the workspace's templates/<kind>/
    first, then among the shipped ones (`qaw templates list`, `qaw templates copy NAME`).
    """
    from .workspace import WORKSPACE_ENV, find_workspace

    ws = find_workspace()
    if ws.kind == "workspace":  # the kernels and servers a command starts use it too
        import os

        os.environ.setdefault(WORKSPACE_ENV, str(ws.root))


@main.command()
@click.option(
    "--out",
    default=None,
    callback=_setting("data"),
    help="Folder (Parquet) or database URL (sqlite:///demo.db) to write [default: the "
    "workspace's data setting].",
)
@click.option("--agents", default=300, show_default=True, help="Number of agents.")
@click.option("--teams", default=20, show_default=True, help="Number of teams (班组).")
@click.option(
    "--chat-teams", default=3, show_default=True, help="How many of the teams do online chat."
)
@click.option("--evaluators", default=8, show_default=True, help="Number of QA evaluators.")
@click.option("--months", default=6, show_default=True, help="Months of contacts.")
@click.option("--start", default="2026-05-01", show_default=True, help="First day (YYYY-MM-DD).")
@click.option(
    "--contacts-per-day",
    default=50.0,
    show_default=True,
    help="Contacts per voice agent per working day (97 gives ~3.6 M a month for 2,000 agents).",
)
@click.option(
    "--seed", default=20261121, show_default=True, help="Random seed: same seed, same center."
)
@click.option(
    "--messages",
    type=click.Choice(["all", "sample"]),
    default="all",
    show_default=True,
    help="Chat messages for every chat, or for the complained-about ones and 5% of the rest.",
)
@click.option(
    "--samples",
    type=click.Path(path_type=Path),
    default=None,
    help="Where the QA team's monthly samples are kept, as qaw sample keeps them "
    "(<samples>/<month>/sample.csv) [default: <setting reports>/samples for the workspace's "
    "data folder; <out>-samples beside any other --out, so another center's samples are "
    "never replaced].",
)
@click.option(
    "--random-evaluations",
    is_flag=True,
    help="Evaluate a random 1% of contacts instead of the month's own sample (faster; plan "
    "completion is then meaningless).",
)
@click.option("--force", is_flag=True, help="Replace an existing demo center at --out.")
def demo(
    out: str,
    agents: int,
    teams: int,
    chat_teams: int,
    evaluators: int,
    months: int,
    start: str,
    contacts_per_day: float,
    seed: int,
    messages: str,
    samples: Path | None,
    random_evaluations: bool,
    force: bool,
) -> None:
    """Build the deterministic demo center (a Chinese hotline with QA data), month by month:
    into a folder, the month-keyed tables are written one file per month
    (``contacts/2026-05.parquet``), so memory does not grow with --months.

    Into a folder, the QA team works from its own plan: each month's sample is drawn by
    the hotline plan (as ``qaw sample`` draws it, seed YYYYMM) before the month's
    evaluations, which are those of the sample: most on time, some late, a few missed, the
    last days' still open. The samples are kept where ``qaw sample`` keeps them."""
    from .data.load import save_center, save_partition
    from .data.readers import is_url
    from .demo import DemoSpec, build, build_months, roster

    target = out
    out_dir = Path(out)
    if not is_url(target) and out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise click.ClickException(f"{out} already holds data; pass --force to replace it")
    t0 = time.perf_counter()
    spec = DemoSpec(
        agents=agents,
        teams=teams,
        chat_teams=chat_teams,
        evaluators=evaluators,
        months=months,
        start=start,
        contacts_per_day=contacts_per_day,
        seed=seed,
        full_messages=messages == "all",
    )
    rows: dict[str, int] = {}
    kept = samples or _demo_samples(out_dir)
    if is_url(target):
        tables = build(spec)
        save_center(tables, target)
        rows = {name: len(df) for name, df in tables.items()}
    else:  # month by month into a folder beside, then swapped in: never half a center
        tmp = out_dir.with_name(f".{out_dir.name}.building")
        shutil.rmtree(tmp, ignore_errors=True)
        r = roster(spec)
        save_center({"agents": r.agents, "evaluators": r.evaluators}, tmp)
        rows = {"agents": len(r.agents), "evaluators": len(r.evaluators)}
        schemas: dict = {}
        sampler = None
        if not random_evaluations:
            from .demo_sample import folder_sampler

            sampler = folder_sampler(tmp, r.evaluators, "hotline", kept, schemas)
        for month, tables in build_months(spec, r, sampler):
            save_partition(tables, tmp, month, schemas)
            for name, df in tables.items():
                rows[name] = rows.get(name, 0) + len(df)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    for name, n in rows.items():
        click.echo(f"{name:18s} {n:>10,d} rows")
    click.echo(f"demo center written to {target} in {time.perf_counter() - t0:.1f} s")
    if not is_url(target) and not random_evaluations:
        click.echo(f"the QA team's monthly samples (hotline plan) kept in {kept}/<month>/")


def _demo_samples(out_dir: Path) -> Path:
    """Where a demo center's samples go: where ``qaw sample`` keeps them for the workspace's
    data folder; beside the center for any other folder (a benchmark center of the same
    months must not replace the demo's samples)."""
    from .data.readers import is_url

    data = settings.get("data")
    if data and not is_url(data) and Path(data).resolve() == out_dir.resolve():
        return Path(settings.get("reports")) / "samples"
    return out_dir.with_name(f"{out_dir.name}-samples")


@main.command()
@click.argument("source", required=False, callback=_setting("data"))
@click.option("--mapping", "-m", help="Column mapping (YAML path or name in templates/mappings).")
@click.option(
    "--table", "-t", "table_name", help="Canonical table of a single file without a mapping."
)
@click.option(
    "--lenient", is_flag=True, help="Keep good rows; write rejected rows with reasons to --rejects."
)
@click.option(
    "--rejects",
    type=click.Path(path_type=Path),
    default=Path("rejects"),
    show_default=True,
    help="Folder for rejected rows (lenient mode).",
)
def validate(
    source: str, mapping: str | None, table_name: str | None, lenient: bool, rejects: Path
) -> None:
    """Check a data folder, a database URL, or one file (with --mapping or --table); without
    SOURCE, the workspace's data.

    Prints row counts per table; exits 1 listing every problem otherwise.
    """
    from .data.load import load_center, load_export, load_table
    from .data.readers import is_url

    mode = "lenient" if lenient else "strict"
    limits: list[str] = []
    if mapping or table_name or (not is_url(source) and Path(source).is_file()):
        if lenient:
            for old in rejects.glob("*.rejected.csv"):
                old.unlink()
        if mapping:
            loaded = load_export(source, mapping, mode=mode, rejects_dir=rejects)
        else:
            loaded = {"": load_table(source, table_name, mode=mode, rejects_dir=rejects)}
        reports = [rep for _, rep in loaded.values()]
        df = next(iter(loaded.values()))[0]
        if "answered" in df:
            click.echo(
                f"answered: {int(df['answered'].sum()):,d}, "
                f"not answered: {int((~df['answered'].astype(bool)).sum()):,d}"
            )
    else:
        center = load_center(source, mode=mode, rejects_dir=rejects)
        reports, limits = center.reports, center.limits()
    click.echo(f"{'table':18s} {'rows read':>10s} {'kept':>10s} {'rejected':>9s}  file")
    for r in reports:
        click.echo(
            f"{r.table:18s} {r.rows_read:>10,d} {r.rows_kept:>10,d} {r.rejected:>9,d}  {r.file}"
        )
        for note in r.notes:
            click.echo(f"{'':18s} note: {note}")
    _notes(limits)
    rejected = sum(r.rejected for r in reports)
    if rejected:
        click.echo(f"{rejected:,d} row(s) rejected; reasons in {rejects}/", err=True)


@main.command("import")
@click.argument("source")
@click.option("--mapping", "-m", required=True, help="Column mapping (YAML path or name).")
@click.option("--data", "folder", required=True, help="Data folder to write the table(s) into.")
@click.option("--append", is_flag=True, help="Add the rows to the table the folder already has.")
@click.option("--replace", is_flag=True, help="Replace the table the folder already has.")
@click.option("--lenient", is_flag=True, help="Keep good rows; write rejected rows to --rejects.")
@click.option("--rejects", type=click.Path(path_type=Path), default=Path("rejects"),
              show_default=True, help="Folder for rejected rows (lenient mode).")  # fmt: skip
def import_(
    source: str, mapping: str, folder: str, append: bool, replace: bool, lenient: bool,
    rejects: Path,
) -> None:  # fmt: skip
    """Load a foreign export through a mapping and write its canonical table(s) into a data
    folder as Parquet; a wide evaluations export gives evaluations and evaluation_items."""
    import pandas as pd

    from .data.load import find_table_file, load_export, load_table, save_center, save_partition

    if append and replace:
        raise click.UsageError("give --append or --replace, not both")
    loaded = load_export(source, mapping, mode="lenient" if lenient else "strict",
                         rejects_dir=rejects)  # fmt: skip
    out = Path(folder)
    for name, (df, rep) in list(loaded.items()):  # derived from chat messages: where absent
        if rep.file.endswith("(derived contacts)") and out.is_dir() and find_table_file(out, name):
            del loaded[name]
            click.echo(f"note: {name}: {out} has a {name} table; the {len(df):,d} derived from "
                       "the messages are not written")  # fmt: skip
    if (
        "chat_messages" in loaded
        and "contacts" not in loaded
        and not (out.is_dir() and find_table_file(out, "contacts"))
    ):
        raise QAWError(f"{out} has no contacts table and none could be derived: "
                       + "; ".join(loaded["chat_messages"][1].notes[-1:]))  # fmt: skip
    tables, parts, folders = {}, {}, []  # parts: new rows for a table kept as monthly files
    for name, (df, rep) in loaded.items():
        have = find_table_file(out, name) if out.is_dir() else None
        if have is not None and have.suffix != ".parquet" and not have.is_dir():
            raise QAWError(f"{have} holds the {name} table already, not as Parquet; import into a "
                           "folder of Parquet tables, or convert it first")  # fmt: skip
        if have is not None and not (append or replace):
            raise QAWError(f"{have} exists: pass --append to add these {len(df):,d} rows to it, "
                           "or --replace to replace it; it was left as it is")  # fmt: skip
        if have is not None and append:
            old = load_table(have, name)[0]
            if have.is_dir():  # a folder of parts: the new rows become one more part
                parts[name] = df
            df = pd.concat([old, df], ignore_index=True)
        elif have is not None and have.is_dir():  # --replace: the parts go
            folders.append(have)
        tables[name] = df
        click.echo(f"{name}: {rep.rows_kept:,d} of {rep.rows_read:,d} rows from {rep.file}"
                   + (f" ({rep.rejected:,d} rejected, see {rejects}/)" if rep.rejected else ""))  # fmt: skip
        _notes(rep.notes)
    if append:  # the key must stay unique across the old and the new rows
        from .data.schema import table as schema_table
        from .data.validate import key_duplicates

        for name, df in tables.items():
            dup = key_duplicates(df, schema_table(name))
            if dup:
                raise QAWError(f"{name}: --append would repeat {len(dup):,d} key(s) already in "
                               f"{out}, e.g. {dup[0]}; nothing was written")  # fmt: skip
    for have in folders:
        shutil.rmtree(have)
    stamp = time.strftime("imported-%Y%m%d-%H%M%S")
    written = save_partition(parts, out, stamp) if parts else []
    written += save_center({n: df for n, df in tables.items() if n not in parts}, out)
    click.echo(f"written to {out}/ ({', '.join(Path(w).relative_to(out).as_posix() for w in written)}); "
               f"check the folder with: qaw validate {out}")  # fmt: skip


ENGINE_OPTION = click.option(
    "--engine",
    "engine_name",
    type=click.Choice(["duckdb", "spark"]),
    default=None,
    help="SQL engine for the scans: duckdb (embedded) or spark [default: setting QAW_ENGINE, "
    "else duckdb].",
)
MASTER_OPTION = click.option(
    "--master",
    default=None,
    help="Spark's master URL: local[2], spark://host:7077, yarn [default: setting "
    "QAW_SPARK_MASTER, else local[2]].",
)


@main.command()
@click.argument("folder", required=False, callback=_setting("data"))
@ENGINE_OPTION
@MASTER_OPTION
def summary(folder: str, engine_name: str | None, master: str | None) -> None:
    """Summarise a data folder (default: the workspace's data): contacts, service level and
    evaluations per month."""
    from .data import engine
    from .data.schema import CONTACTS

    notes: list[str] = []
    con = engine.open_engine(
        folder, ("contacts", "evaluations"), engine=engine_name, master=master, notes=notes
    )
    _notes(notes)
    months = engine.monthly_overview(con)
    click.echo("Contacts per month (service level: inbound answered within 20 s / inbound offered)")
    if months["service_level"].isna().all():
        _notes([f"no contacts.queue_wait_s: {CONTACTS.column('queue_wait_s').without}"])
    click.echo(
        months.to_string(
            index=False,
            formatters={
                "offered": "{:,d}".format,
                "answered": "{:,d}".format,
                "answered_share": "{:.1%}".format,
                "service_level": lambda x: "–" if x != x else f"{x:.1%}",
                "mean_talk_s": "{:.0f}".format,
            },
        )
    )
    if "evaluations" in engine.table_names(con):
        ev = engine.monthly_evaluations(con).pivot(
            index="month", columns="mode", values="evaluations"
        )
        click.echo("\nEvaluations per month by mode")
        click.echo(ev.fillna(0).astype(int).to_string())


@main.command()
@click.option("--month", "period", required=True, help="Month (2026-10) or ISO week (2026-W43).")
@DATA_OPTION
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output folder [default: reports/scores/<period>].",
)
@click.option(
    "--penalty-code",
    default=None,
    callback=_setting("penalty_code"),
    help="Penalty code (YAML path or name in templates/penalties) [default: setting "
    "penalty_code, else cloud_service].",
)
@click.option("--top", default=5, show_default=True, help="How many top problems to print.")
def score(period: str, data: str, out: Path | None, penalty_code: str, top: int) -> None:
    """Score a period: agent, team and calibration tables (CSV and Excel), and the top problems."""
    from .periods import parse_period
    from .reporting.contents import period_center
    from .reporting.publish import write_csv, write_excel
    from .scoring.history import cached_scores
    from .scoring.period import score_period

    p = parse_period(period)
    # the QA tables (of earlier item results only the fails and coached items, as reports read
    # them, sharing their cached scores), and the period's evaluated contacts
    center = period_center(data, p)
    tables = score_period(center, p, penalty_code, scored=cached_scores(data, center))
    _notes(center.limits())
    out = out or Path(settings.get("reports")) / "scores" / p.label
    sheets = tables.sheets()
    for name, df in sheets.items():
        write_csv(df, out / f"{name}.csv")
    write_excel(sheets, out / f"scores-{p.label}.xlsx")
    import pandas as pd

    c = tables.center.iloc[0]
    ci = (  # a statistic that cannot be computed is said, never printed as nan
        f"95% CI {c['lo']:.1f}-{c['hi']:.1f}"
        if pd.notna(c["lo"]) and pd.notna(c["hi"])
        else "too few agents for an interval"
    )
    every = int((tables.evaluations["mode"] != "calibration").sum())
    basis = "random-sample evaluations" if int(c["n"]) < every else "evaluations"
    click.echo(
        f"{p.label}: quality level {c['mean']:.1f} ({ci}) from {int(c['n']):,d} {basis} of "
        f"{int(c['agents'])} agents ({every:,d} evaluations in all)"
    )
    ev = tables.evaluations
    held = ev[ev["points_pending"] > 0] if "points_pending" in ev else ev.iloc[0:0]
    if len(held):  # 双人复核、质检主管签字核准后计入: left out of every score until signed off
        click.echo(
            f"appeals not yet signed off: {len(held):,d} evaluations, "
            f"{held['points_pending'].sum():g} points held apart (counted nowhere until signed off)"
        )
    status = tables.status["status"].value_counts()
    click.echo("agent status: " + ", ".join(f"{k} {v}" for k, v in status.items()))
    click.echo(f"\nTop {top} problems (共性问题), center-wide, by points lost:")
    par = tables.pareto[tables.pareto["team"] == "(center)"].head(top)
    for r in par.itertuples():
        click.echo(
            f"  {r.item_id} {r.item} / {r.item_en}: {r.fails:,d} fails, "
            f"{r.points:,.0f} pts ({r.share:.0%}, cumulative {r.cum_share:.0%})"
        )
    click.echo(f"\ntables written to {out}/ (CSV per table, scores-{p.label}.xlsx)")


RULES_OPTION = click.option(
    "--rules",
    default=None,
    callback=_setting("autoqa_rules"),
    help="Auto-QA rule set (YAML path or name in templates/autoqa) [default: setting "
    "autoqa_rules, else hotline].",
)


@main.group(invoke_without_command=True)
@click.option("--month", "period", default=None, help="Month (2026-10) or ISO week (2026-W43).")
@DATA_OPTION
@RULES_OPTION
@ENGINE_OPTION
@MASTER_OPTION
@click.pass_context
def autoqa(
    ctx: click.Context, period: str | None, data: str, rules: str, engine_name: str | None,
    master: str | None,
) -> None:  # fmt: skip
    """Check every chat and call transcript of a period against the auto-QA rules (自动质检).

    Keeps one result per contact and rule (pass / fail / n/a, with the evidence, masked) in
    <data>/autoqa/<period>.parquet, and prints coverage, each rule's fail rate, how well it
    agrees with the evaluators and its reviewed precision (qaw autoqa review). Automatic
    results never enter scores, pay or penalties.
    """
    if ctx.invoked_subcommand is not None:
        return
    if period is None:
        raise click.UsageError("Missing option '--month'.", ctx)
    from .autoqa import (
        advisory_rules,
        agreement,
        check_month,
        load_reviews,
        load_ruleset,
        results_path,
        reviewed_precision,
        save_results,
    )  # fmt: skip
    from .autoqa.agreement import targeted_by_autoqa
    from .autoqa.rates import contact_scores, coverage, group_scores, in_rule_order, rule_rates
    from .autoqa.run import (
        TIMING_CHECKS,
        answered_counts,
        human_month,
        month_sample,
        save_scores,
        untimed_chats,
    )
    from .periods import parse_period

    t0 = time.perf_counter()
    p = parse_period(period)
    rs = load_ruleset(rules)
    from .config import engine_setting

    path = results_path(data, p)
    engine_name, master = engine_setting(engine_name, master)
    if engine_name == "spark":  # the same rules, run on Spark's partitions of conversations
        from .autoqa.spark import check_month_spark

        res = check_month_spark(data, p, rs, master)
    else:
        res = check_month(data, p, rs)
    if res.empty:
        click.echo(f"{p.label}: no chat messages or transcripts of this period's contacts")
        return
    save_results(res, path, rs)
    answered = answered_counts(data, p)
    exclude = targeted_by_autoqa(month_sample(p))
    reviewed = reviewed_precision(load_reviews(data), rs)
    agree = agreement(res, human_month(data, p), rs, exclude, reviewed)
    rates = in_rule_order(rule_rates(res, advisory_rules(agree)), rs)  # as the report lists them
    for r in coverage(res, answered).itertuples():
        click.echo(
            f"{r.channel}: {r.checked:,d} of {r.answered:,d} answered contacts checked ({r.share:.1%})"
        )
    if untimed := untimed_chats(data, p):
        timing = [r.id for r, _ in rs.for_channel("chat") if r.check in TIMING_CHECKS]
        click.echo(f"note: {', '.join(timing)}: n/a — no times in this export ({untimed:,d} "
                   "chats without message times): counted as not applicable (a look-up never "
                   "followed still fails)")  # fmt: skip
    click.echo(f"\n{'rule':24s} {'item':6s} {'channel':7s} {'fail rate':>17s} "
               f"{'kappa vs evaluators':>31s} {'reviewed precision':>24s}")  # fmt: skip
    merged = rates.merge(
        agree, on=["rule_id", "item_id", "channel"], how="left", suffixes=("", "_a")
    )
    for r in merged.itertuples():
        kappa = "not compared" if r.n_a != r.n_a or not r.n_a else (
            f"{_kappa(r.kappa, r.kappa_lo, r.kappa_hi)}, n={int(r.n_a)}")  # fmt: skip
        flag = "  advisory" if r.advisory else ""
        click.echo(f"{r.rule_id:24s} {r.item_id:6s} {r.channel:7s} "
                   f"{r.rate:>6.1%} ({r.lo:.1%}-{r.hi:.1%}) {kappa:>31s} "
                   f"{_reviewed_text(r):>24s}{flag}")  # fmt: skip
    if not reviewed["review_ok"].any():
        click.echo("(no rule's findings reviewed enough yet: every rule stays advisory until a QA "
                   "lead reads them, qaw autoqa review --month …)")  # fmt: skip
    scores = contact_scores(res, rs, advisory_rules(agree))
    save_scores(scores, path)
    if len(scores):
        c = group_scores(scores.assign(center="all"), ["center"]).iloc[0]
        click.echo(
            f"\nautomatic score (counted rules only; never in scores, pay or penalties): "
            f"{c['mean']:.1f} (95% CI {c['lo']:.1f}-{c['hi']:.1f}) over {int(c['n']):,d} contacts"
        )
    else:
        click.echo(
            "\nno automatic score: no rule has both its reviewed precision and its agreement with the evaluators above the thresholds yet"
        )
    click.echo(f"\n{len(res):,d} results written to {path} in {time.perf_counter() - t0:.1f} s")


def _kappa(k: float, lo: float, hi: float) -> str:
    """A kappa and its 95% interval, two decimals: "0.27 (0.00 to 0.55)", never "-0.00", and
    "to" between the bounds (a hyphen before a negative bound read "-0.07-0.52")."""

    def two(v: float) -> str:
        return "0.00" if abs(v) < 0.005 else f"{v:.2f}"

    return f"{two(k)} ({two(lo)} to {two(hi)})"


def _reviewed_text(r) -> str:
    """A rule's reviewed precision as the CLI prints it: 92% (80%-97%), n=40."""
    n = int(r.reviewed) if r.reviewed == r.reviewed else 0
    if not n:
        return "not reviewed"
    return f"{r.reviewed_precision:.0%} ({r.reviewed_lo:.0%}-{r.reviewed_hi:.0%}), n={n}"


@autoqa.command()
@click.option("--month", "period", default=None, help="Month whose findings to draw (2026-10).")
@DATA_OPTION
@RULES_OPTION
@click.option("--per-rule", type=int, default=40, show_default=True,
              help="Findings drawn per rule and channel (all, where fewer).")  # fmt: skip
@click.option("--seed", type=int, default=None,
              help="Random seed [default: the month as a number, e.g. 202610].")  # fmt: skip
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, callback=_setting("language"),
              help="The sheet's language [default: setting language, else zh].")  # fmt: skip
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="The sheet [default: reports/autoqa-review/<month>-review.xlsx].")  # fmt: skip
@click.option("--read", "read", type=click.Path(path_type=Path), default=None,
              help="Read a filled sheet back and keep its verdicts (instead of drawing one).")  # fmt: skip
def review(period: str | None, data: str, rules: str, per_rule: int, seed: int | None,
           lang: str, out: Path | None, read: Path | None) -> None:  # fmt: skip
    """A QA lead measures each rule on the center's own findings (复核).

    With --month: draws --per-rule findings of each rule from the month's auto-QA results
    into an Excel sheet (the quote and a few messages around it, masked; a verdict column
    with a drop-down list and a reason column). With --read FILE: reads the filled sheet
    back, keeps its verdicts in <data>/autoqa/reviews.parquet (a finding read again replaces
    its verdict) and prints each rule's reviewed precision with its 95% interval. A rule
    counts in violation rates only when its reviewed precision and its agreement with the
    evaluators both pass the rule set's thresholds.
    """
    from .autoqa import load_results, load_ruleset
    from .autoqa.review import (
        contact_messages,
        draw_findings,
        ruleset_tag,
        with_context,
    )  # fmt: skip
    from .periods import parse_period
    from .reporting import i18n
    from .reporting.review_sheet import write_sheet

    rs = load_ruleset(rules)
    if read is not None:
        _read_review(read, data, rs)
        return
    if period is None:
        raise click.UsageError("Give --month to draw a sheet, or --read FILE to read one back.")
    p = parse_period(period)
    res = load_results(data, p)
    if res is None:
        raise QAWError(f"{data}: no auto-QA results for {p.label}: run qaw autoqa --month "
                       f"{p.label} --data {data} first")  # fmt: skip
    seed = int(p.label.replace("-", "").replace("W", "")) if seed is None else seed
    found = draw_findings(res, p.label, per_rule, seed)
    if found.empty:
        click.echo(f"{p.label}: no rule found anything: nothing to review")
        return
    msgs = contact_messages(data, found["contact_id"].unique().tolist())
    speakers = {w: i18n.value("speaker", w, lang) for w in ("agent", "customer")}
    found = with_context(found, msgs, speakers)
    out = out or Path(settings.get("reports")) / "autoqa-review" / f"{p.label}-review.xlsx"
    write_sheet(found, rs, out, lang, ruleset_tag(rs))
    counts = found.groupby(["rule_id", "channel"], sort=False).size()
    click.echo(f"{len(found):,d} findings of {p.label} drawn (seed {seed}), per rule:")
    for (rule_id, channel), n in counts.items():
        click.echo(f"  {rule_id:24s} {channel:6s} {n:4d}")
    click.echo(f"sheet written to {out}\nfill the verdict column, then: qaw autoqa review "
               f"--read {out} --data {data}")  # fmt: skip


@autoqa.command()
@click.option("--month", "months", multiple=True, required=True,
              help="Month whose evaluations to learn from (2026-10); repeat for more.")  # fmt: skip
@DATA_OPTION
@RULES_OPTION
@click.option("--item", "items", multiple=True,
              help="Only this scorecard item (e.g. CH07); repeat for more [default: every item].")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="Cross-validation seed.")
def learn(
    months: tuple[str, ...], data: str, rules: str, items: tuple[str, ...], seed: int
) -> None:
    """Item detectors learned from the center's own evaluations (no outside model).

    For each scorecard item with enough evaluator verdicts on contacts that have text, trains
    a character n-gram classifier and measures it by cross-validation against the evaluators:
    precision, recall and kappa with 95% intervals; trusted only when it passes the rule set's
    thresholds, like a rule. Prints each beside the rules that check the same item, with the
    n-grams that weigh most.
    """
    import pandas as pd

    from .autoqa import agreement, load_reviews, load_ruleset, reviewed_precision
    from .autoqa.learned import contact_texts, learn, save_learned
    from .autoqa.review import contact_messages
    from .autoqa.run import human_month, kept_results
    from .periods import parse_period

    rs = load_ruleset(rules)
    periods = [parse_period(m) for m in months]
    human = pd.concat([human_month(data, p) for p in periods], ignore_index=True)
    texts = contact_texts(contact_messages(data, human["contact_id"].unique().tolist()))
    table, refused = learn(texts, human, rs, list(items) or None, seed)
    click.echo(f"{len(texts):,d} evaluated contacts with text in {', '.join(months)}; "
               f"{FOLDS_TEXT}")  # fmt: skip
    agree = []
    for p in periods:
        if (res := kept_results(data, p)) is not None:  # (counted where it lies)
            reviewed = reviewed_precision(load_reviews(data), rs)
            agree.append(agreement(res, human_month(data, p), rs, None, reviewed))
    agree = pd.concat(agree, ignore_index=True) if agree else None
    for r in table.itertuples():
        use = "trusted" if r.trusted else "advisory"
        click.echo(f"\n{r.item_id}: learned detector, n={r.n} ({r.fails} fails): precision "
                   f"{r.precision:.0%} ({r.precision_lo:.0%}-{r.precision_hi:.0%}), recall "
                   f"{r.recall:.0%} ({r.recall_lo:.0%}-{r.recall_hi:.0%}), kappa "
                   f"{_kappa(r.kappa, r.kappa_lo, r.kappa_hi)}  {use}")  # fmt: skip
        click.echo(f"  weighs most: {r.top_ngrams or '(none)'}")
        if agree is not None:
            for a in agree[agree["item_id"].astype(str) == r.item_id].itertuples():
                kappa = "not compared" if not a.n else (
                    f"{_kappa(a.kappa, a.kappa_lo, a.kappa_hi)}, n={a.n}")  # fmt: skip
                click.echo(f"  beside rule {a.rule_id} ({a.channel}): kappa {kappa}, reviewed "
                           f"precision {_reviewed_text(a)}  "
                           f"{'advisory' if a.advisory else 'counted'}")  # fmt: skip
    for why in refused:
        click.echo(f"refused: {why}")
    if not table.empty:
        path = save_learned(data, table, [p.label for p in periods])
        click.echo(f"\n{len(table)} detector(s) kept in {path} (shown in the monthly report)")
    if items and refused and table.empty:
        sys.exit(1)


FOLDS_TEXT = "each detector measured by 5-fold cross-validation against the evaluators"


def _read_review(path: Path, data: str, rs) -> None:
    """``qaw autoqa review --read``: keep a filled sheet's verdicts and print each rule's
    reviewed precision, with its agreement and trust where the month's results are kept."""
    from .autoqa import agreement, load_reviews, reviewed_precision
    from .autoqa.agreement import targeted_by_autoqa
    from .autoqa.review import ruleset_tag, store_reviews
    from .autoqa.run import human_month, kept_results, month_sample
    from .periods import parse_period
    from .reporting.review_sheet import read_sheet

    verdicts, unfilled = read_sheet(path)
    new, replaced = store_reviews(data, verdicts)
    click.echo(f"{path}: {len(verdicts):,d} verdicts read ({new:,d} new, {replaced:,d} read "
               f"before and replaced); {unfilled:,d} rows left empty, not counted")  # fmt: skip
    other = set(verdicts["ruleset"]) - {ruleset_tag(rs)}
    if other:
        click.echo(f"note: the sheet was drawn under rule set {', '.join(sorted(other))}; they "
                   f"are kept, but rule set {ruleset_tag(rs)} counts only its own")  # fmt: skip
    prec = reviewed_precision(load_reviews(data), rs)
    agree = None
    months = sorted(set(verdicts["month"]))
    if months and (res := kept_results(data, p := parse_period(months[-1]))) is not None:
        exclude = targeted_by_autoqa(month_sample(p))
        agree = agreement(res, human_month(data, p), rs, exclude, prec)
    rv = rs.review
    bound = "its 95% lower bound" if rv.on == "lower" else "it"
    click.echo(f"\nreviewed precision: counted needs n >= {rv.min_n} and {bound} >= "
               f"{rv.min_precision:.0%}; and kappa >= {rs.agreement.min_kappa:g} on n >= "
               f"{rs.agreement.min_n} compared with evaluators")  # fmt: skip
    click.echo(f"{'rule':24s} {'channel':7s} {'reviewed precision':>24s} "
               f"{'kappa vs evaluators':>31s}  use")  # fmt: skip
    table = prec if agree is None else agree[agree["reviewed"] > 0]
    for r in table.itertuples():
        if agree is None:
            kappa, use = "", "counted only with agreement" if r.review_ok else "advisory"
        else:
            kappa = "not compared" if not r.n else (
                f"{_kappa(r.kappa, r.kappa_lo, r.kappa_hi)}, n={int(r.n)}")  # fmt: skip
            use = "advisory" if r.advisory else "counted"
        click.echo(f"{r.rule_id:24s} {r.channel:7s} {_reviewed_text(r):>24s} {kappa:>31s}  {use}")


def _sample_dir(out: Path | None, month: str) -> Path:
    return out or Path(settings.get("reports")) / "samples" / month


@main.command()
@click.option("--month", required=True, help="Month to sample (2026-10).")
@click.option(
    "--plan",
    "plan_name",
    default=None,
    callback=_setting("sampling_plan"),
    help="Sampling plan (YAML path or name in templates/sampling) [default: setting "
    "sampling_plan, else hotline].",
)
@DATA_OPTION
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Random seed [default: the month as a number, e.g. 202610].",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output folder [default: reports/samples/<month>].",
)
@click.option(
    "--precision",
    type=float,
    default=None,
    help="Also say how many evaluations give a ± this many points interval.",
)
@click.option(
    "--force", is_flag=True, help="Replace a different sample already written for the month."
)
@ENGINE_OPTION
@MASTER_OPTION
def sample(
    month: str,
    plan_name: str,
    data: str,
    seed: int | None,
    out: Path | None,
    precision: float | None,
    force: bool,
    engine_name: str | None,
    master: str | None,
) -> None:
    """Draw the month's QA sample by the plan's rules; every contact says why it was picked.

    Writes sample.csv, summary.csv and an Excel workbook (a sheet per evaluator,
    customer numbers masked) and prints the per-reason counts and shortfalls. A sample
    already written for the month is replaced only when it is the same (same inputs and
    seed) or with --force: staff may already be working from it.
    """
    from .data.load import load_center
    from .reporting.publish import csv_bytes, write_csv, write_excel
    from .sampling import REASONS, sample_month
    from .sampling.allocation import allocate_sample
    from .sampling.plan import load_plan
    from .stats import required_n

    seed = seed if seed is not None else int(month.replace("-", ""))
    plan = load_plan(plan_name)
    s = sample_month(data, month, plan, seed, engine_name=engine_name, master=master)
    team = load_center(data, tables=("evaluators",))
    planned = allocate_sample(s, team.evaluators, plan)
    _notes(s.notes + team.limits())
    out = _sample_dir(out, month)
    old = out / "sample.csv"
    if old.exists() and not force and old.read_bytes() != csv_bytes(planned):
        raise click.ClickException(
            f"{old} already holds a different sample for {month} (other data, seed or plan, or "
            "neighbours added since); it was left as it is. Pass --force to replace it, or "
            "--out to write the new one elsewhere."
        )
    write_csv(planned, out / "sample.csv")
    write_csv(s.summary, out / "summary.csv")
    sheets = {"summary 汇总": s.summary}
    for ev_id, rows in planned.groupby("evaluator_id"):
        sheets[str(ev_id)] = rows.drop(columns=["plan", "seed", "month"])
    write_excel(sheets, out / f"sample-{month}.xlsx")
    reasons = s.contacts["reasons"].str.split(";").explode().value_counts()
    click.echo(
        f"{month}: plan {plan.id} v{plan.version}, seed {seed}: {len(s.contacts):,d} contacts "
        f"and {len(s.slots):,d} live slots for {int((s.summary['evaluations_planned'] > 0).sum())} agents"
    )
    for r, n in reasons.items():
        click.echo(f"  {n:>6,d}  {r:15s} {REASONS.get(r, '')}")
    for r, n in s.slots["reason"].value_counts().items():
        click.echo(f"  {n:>6,d}  {r:15s} {REASONS.get(r, '')} (slots)")
    first = s.summary[s.summary["quota_basis"].str.contains("first month")]
    if len(first):
        click.echo(f"note: base quotas of {len(first):,d} agent(s) use {first.iloc[0]['quota_basis']}"
                   " (the plan's quotas[].first_month; summary column quota_basis)")  # fmt: skip
    if "status" in s.summary:
        held = s.summary[(s.summary["status"] != "") & (s.summary["contacts"] > 0)]
        if len(held):
            click.echo(f"flagged: {len(held):,d} frozen or demoted agent(s) still take contacts and "
                       f"are sampled as usual, e.g. {held.iloc[0]['agent_id']} "
                       f"({held.iloc[0]['status']}; summary column status)")  # fmt: skip
    adj = s.summary[s.summary["adjustment"] != ""]
    if len(adj):
        click.echo(
            f"adaptive quota: {len(adj)} agent(s) adjusted, e.g. {adj.iloc[0]['agent_id']}: {adj.iloc[0]['adjustment']}"
        )
    short = s.summary[s.summary["shortfall"] > 0]
    if len(short):
        click.echo(
            f"quota not met for {len(short)} agent(s), e.g. {short.iloc[0]['agent_id']}: {short.iloc[0]['why_short']}"
        )
    hw = s.summary.loc[s.summary["evaluations_planned"] >= 2, "expected_half_width"]
    if len(hw):
        click.echo(
            f"precision: median expected 95% half-width of an agent's monthly score ±{hw.median():.1f} points"
        )
    if precision:
        sd = float(s.summary.attrs.get("score_sd", plan.score_sd))
        click.echo(
            f"for ±{precision:g} points: {required_n(sd, precision)} evaluations per agent (SD {sd:.1f})"
        )
    excluded = s.summary.attrs.get("excluded_agents")
    if excluded:
        click.echo(
            f"not sampled (left before the month or not yet hired): {len(excluded)} agent(s)"
        )
    click.echo(f"written to {out}/ (sample.csv, summary.csv, sample-{month}.xlsx)")


@main.command()
@click.option("--month", required=True, help="Month of the sample (2026-10).")
@click.option("--plan", "plan_name", default=None, callback=_setting("sampling_plan"),
              help="Sampling plan [default: setting sampling_plan, else hotline].")  # fmt: skip
@DATA_OPTION
@SAMPLE_DIR_OPTION
def neighbours(month: str, plan_name: str, data: str, out: Path | None) -> None:
    """Add to a month's sample the same agent's contacts just before and after each faulty one."""
    import pandas as pd

    from .data.load import load_center
    from .reporting.publish import write_csv
    from .sampling import sample_month
    from .sampling.allocation import allocate
    from .sampling.plan import load_plan

    out = _sample_dir(out, month)
    if not (out / "sample.csv").exists():
        click.echo(f"{out}/sample.csv not found: run qaw sample --month {month} first", err=True)
        sys.exit(1)
    existing = pd.read_csv(
        out / "sample.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False
    )
    seed = int(existing["seed"].iloc[0])
    plan = load_plan(plan_name)
    s = sample_month(data, month, plan, seed, with_neighbours=True)
    new = s.contacts[
        s.contacts["reasons"].str.contains("neighbour")
        & ~s.contacts["contact_id"].isin(existing["contact_id"])
    ]
    if new.empty:
        click.echo("no faulty evaluations with unsampled neighbours this month")
        return
    team = load_center(data, tables=("evaluators",))
    _notes(s.notes + team.limits())
    new = allocate(new.assign(reasons="neighbour"), team.evaluators, plan, seed)
    both = pd.concat([existing, new.astype(str)], ignore_index=True)
    write_csv(both, out / "sample.csv")
    click.echo(
        f"added {len(new):,d} neighbour contact(s) to {out}/sample.csv, e.g. "
        f"{new.iloc[0]['contact_id']}: {new.iloc[0]['details']}"
    )


@main.command()
@click.option("--month", required=True, help="Month of the sample (2026-10).")
@DATA_OPTION
@SAMPLE_DIR_OPTION
def completion(month: str, data: str, out: Path | None) -> None:
    """Planned against done (from the evaluations table), per evaluator and per agent."""
    import pandas as pd

    from .data.load import load_center
    from .reporting.publish import write_csv
    from .sampling.allocation import completion as track

    out = _sample_dir(out, month)
    if not (out / "sample.csv").exists():
        click.echo(f"{out}/sample.csv not found: run qaw sample --month {month} first", err=True)
        sys.exit(1)
    planned = pd.read_csv(
        out / "sample.csv", dtype={"contact_id": str, "agent_id": str}, encoding="utf-8-sig"
    )
    center = load_center(data, tables=("agents", "evaluators", "evaluations"))
    _notes(center.limits())
    by_eval, by_agent = track(planned, center.evaluations)
    write_csv(by_eval, out / "completion_by_evaluator.csv")
    write_csv(by_agent, out / "completion_by_agent.csv")
    click.echo((by_eval if len(by_eval) else by_agent).to_string(index=False))
    # every planned evaluation, allocated or not
    tot = by_agent[["planned", "done", "late", "overdue", "not_due"]].sum()
    share = f"{tot['done'] / tot['planned']:.0%}" if tot["planned"] else "–"
    as_of = center.evaluations["evaluated_at"].max()
    click.echo(
        f"total: {tot['done']:,d} of {tot['planned']:,d} done ({share}), {tot['late']:,d} late; "
        f"not done: {tot['overdue']:,d} overdue (due day passed), {tot['not_due']:,d} not yet due, "
        f"as of {as_of:%Y-%m-%d %H:%M} (the latest evaluation)"
    )


@main.command()
@click.argument("kind", type=click.Choice(["weekly", "monthly", "agent", "daily", "approve"]))
@click.option(
    "--period",
    required=True,
    help="ISO week (2026-W43) for weekly; a day (2026-10-21) for daily; month (2026-10) otherwise.",
)
@DATA_OPTION
@click.option("--team", default="", help="One team (班组); every team when left out.")
@click.option("--language", type=click.Choice(["zh", "en"]), default=None,
              callback=_setting("language"), help="[default: setting language, else zh]")  # fmt: skip
@click.option(
    "--agent",
    "agent_id",
    default="",
    help="Agent archive: one agent; without it, every agent of --team (or of the center).",
)
@click.option(
    "--reports-dir",
    type=click.Path(path_type=Path),
    default=None,
    callback=lambda ctx, param, v: Path(settings.get("reports", v)),
    help="Where reports are published [default: setting reports, else reports/].",
)
@click.option("--pdf", is_flag=True, help="Also print a PDF beside the HTML (for e-mail).")
@click.option(
    "--draft",
    is_flag=True,
    help="Publish as a draft marked 待确认, beside the published version, for the center to "
    "confirm (每周一质检报告由中心确认后，进行公示); then `qaw report approve`.",
)
@click.option(
    "--of",
    "of_kind",
    type=click.Choice(["weekly", "monthly"]),
    default="weekly",
    show_default=True,
    help="approve: which report's draft.",
)
@click.option("--by", default="", help="approve: who signs the draft off (a name).")
def report(
    kind: str,
    period: str,
    data: str,
    team: str,
    language: str,
    agent_id: str,
    reports_dir: Path | None,
    pdf: bool,
    draft: bool,
    of_kind: str,
    by: str,
) -> None:
    """Run a report notebook with papermill and publish it only if it is whole.

    A failed run (a cell error, a traceback or a raw phone number in the page)
    publishes nothing and leaves the previous report in place; exit code 1.
    `--draft` files it as a draft to confirm; `qaw report approve --of weekly --period
    2026-W43 --by 张主任` signs the draft off and publishes it.
    """
    if kind == "approve":
        from .reporting.signoff import approve

        link = approve(of_kind, period, by=by, team=team, language=language,
                       reports_dir=reports_dir)  # fmt: skip
        click.echo(f"signed off by {by.strip()}: published {link / 'report.html'}")
        return
    from tqdm import tqdm

    from .periods import parse_period
    from .reporting.contents import period_center
    from .reporting.runner import ReportFailed, run_report

    out = reports_dir
    try:
        if kind == "agent" and not agent_id:
            from .order import natural_sorted
            from .reporting.batch import run_agent_batch

            center = period_center(data, parse_period(period), archive=True)
            roster = center.agents
            agents = roster.loc[roster["team"] == team, "agent_id"] if team else roster["agent_id"]
            agents = natural_sorted(agents.tolist())
            if not agents:
                raise QAWError(f"team {team!r} has no agents in the roster")
            with tqdm(
                total=len(agents), desc=f"个人质检档案 {team or '全中心'}", unit="agent"
            ) as bar:
                done = run_agent_batch(period, agents, data=data, team=team, language=language,
                                       reports_dir=out, center=center,
                                       progress=lambda _: bar.update())  # fmt: skip
            click.echo(
                f"{len(done.published)} of {len(agents)} archives published under "
                f"{out}/agent/{period}/ in {done.seconds:g} s"
            )
            if done.failed:
                click.echo("\n".join(f"{a}: {why}" for a, why in done.failed.items()), err=True)
                sys.exit(1)
            return
        p = run_report(
            kind,
            period,
            data=data,
            team=team,
            language=language,
            agent_id=agent_id,
            reports_dir=out,
            pdf=pdf,
            draft=draft,
        )
    except ReportFailed as e:
        click.echo(mask_text(str(e)), err=True)
        sys.exit(1)
    _notes(p.log.get("limits", []))
    t = p.log["timings_s"]
    click.echo(
        f"{'draft (待确认, awaiting qaw report approve)' if draft else 'published'} {p.html} (compute {t['compute']} s, execute {t['execute']} s, render {t['render']} s)"
    )
    click.echo(f"index: {out / 'index.html'}")


@main.command()
@click.argument("name", type=click.Choice(["coaching", "meeting"]))
@DATA_OPTION
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind (localhost by default; put a reverse proxy in front to share it).",
)
@click.option("--port", default=8866, show_default=True)
@click.option(
    "--token",
    default="",
    help="Require this token (?token=...) to open the dashboard [default: a random one, printed"
    " in the link; required with a --host other than loopback].",
)
@click.option(
    "--coaching-db",
    default=None,
    callback=_setting("coaching_db"),
    help="SQLAlchemy URL of the coaching store [default: setting coaching_db, else sqlite "
    "coaching.db in the workspace (data/coaching.db in the repository)].",
)
@click.option(
    "--recordings",
    default="",
    help="Folder of call recordings (the contacts' recording_ref below it): played in the page.",
)
@click.option("--language", type=click.Choice(["zh", "en"]), default=None,
              callback=_setting("language"), help="[default: setting language, else zh]")  # fmt: skip
@click.option(
    "--pool-size",
    default=1,
    show_default=True,
    help="Kernels pre-heated with the data and page before any request (0: none).",
)
@click.option(
    "--refill-delay",
    default=1.0,
    show_default=True,
    help="Seconds before the pool starts replacing the kernels pages took.",
)
def dashboard(
    name: str, data: str, host: str, port: int, token: str, coaching_db: str, recordings: str,
    language: str, pool_size: int, refill_delay: float,
) -> None:  # fmt: skip
    """Serve a Voila dashboard: coaching (one agent) or meeting (teams, common problems)."""
    import os

    from .dashboards.server import access_token, dashboard_url, serve, voila_command

    try:
        token = access_token(host, token)
    except QAWError as e:
        click.echo(f"qaw dashboard: {e}", err=True)
        sys.exit(1)
    env = dict(
        os.environ, QAW_DASHBOARD_DATA=str(Path(data).resolve()), QAW_DASHBOARD_LANGUAGE=language
    )
    env["QAW_COACHING_DB"] = settings.absolute(coaching_db)  # the kernels run elsewhere
    if recordings:
        env["QAW_RECORDINGS_DIR"] = str(Path(recordings).resolve())
    cmd = voila_command(
        name, host=host, port=port, token=token, pool_size=pool_size, refill_delay_s=refill_delay
    )
    click.echo(f"serving {name} on {dashboard_url(host, port, token)} (Ctrl-C to stop)")
    sys.exit(serve(cmd, env))


@main.command()
@click.argument("folder", type=click.Path(path_type=Path), default=".")
@click.option(
    "--data",
    default="data",
    show_default=True,
    help="The center's data: a folder (relative to FOLDER) or a database URL.",
)
@click.option("--language", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option(
    "--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True
)
def init(folder: Path, data: str, language: str, engine: str) -> None:
    """Make FOLDER a center's workspace: qaw.yaml (its settings) and empty data/, reports/ and
    templates/<kind>/ folders for the templates it changes. Commands run in FOLDER or below
    then use it."""
    from .workspace import init_workspace

    f = init_workspace(folder, data=data, language=language, engine=engine)
    click.echo(f"workspace written: {f} (edit it; `qaw config` shows what is in force)")
    click.echo(f"next: cd {folder} && qaw demo (a demo center), or qaw import ... --data data")


@main.command("config")
def config_() -> None:
    """Print every setting in force and where it came from (flag, environment, qaw.yaml,
    default): the order each setting resolves in."""
    import os

    from .workspace import find_workspace

    ws = find_workspace()
    where = {"workspace": f"{ws.file}", "clone": f"{ws.root} (the repository; no qaw.yaml)",
             "folder": f"{ws.root} (the current folder; no qaw.yaml found: qaw init)"}  # fmt: skip
    click.echo(f"workspace: {where[ws.kind]}")
    rows = settings.resolve_all(ws)
    for r in rows:
        click.echo(f"{r.name:18s} {mask_text(r.value):48s} {r.source}")
    key_env = next(r.value for r in rows if r.name == "pseudonym_key_env")
    state = "set" if os.environ.get(key_env) else "NOT SET: the fixed demo key is used"
    click.echo(f"{'pseudonym key':18s} {'(' + key_env + ': ' + state + ')':48s} env {key_env}")


@main.group()
def templates() -> None:
    """The templates in force: the workspace's (templates/<kind>/) before the shipped ones."""


@templates.command("list")
def templates_list() -> None:
    """Every template by kind and name, and whether the workspace's or the shipped one is used."""
    from .shipped import TEMPLATE_KINDS, templates_dir
    from .workspace import all_templates

    shipped = templates_dir()
    for kind in TEMPLATE_KINDS:
        for name, path in all_templates(kind).items():
            origin = "shipped" if path.is_relative_to(shipped) else f"workspace ({path})"
            click.echo(f"{kind + '/' + name:32s} {origin}")


@templates.command("copy")
@click.argument("name")
@click.option("--force", is_flag=True, help="Replace the workspace's copy.")
def templates_copy(name: str, force: bool) -> None:
    """Copy shipped template NAME (or KIND/NAME) into the workspace to edit; the copy is then
    the one in force."""
    from .workspace import copy_template

    click.echo(f"copied to {copy_template(name, force=force)}")


@main.command()
def schema() -> None:
    """Print the canonical data model (tables, columns, kinds) as Markdown."""
    from .data.schema import markdown

    click.echo(markdown())


if __name__ == "__main__":
    main()
