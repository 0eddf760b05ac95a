"""What went wrong with an input, said so a person can find and fix it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

SHOW_AT_MOST = 50


@dataclass(frozen=True)
class Problem:
    """One problem in an input: file, spreadsheet row (header = row 1), column, expectation."""

    file: str
    row: int | None
    column: str | None
    expected: str
    value: object = None
    fatal: bool = False  # the whole file is unusable, not just this row

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        got = "" if self.value is None else f", got {_show(self.value)}"
        return f"{', '.join(where)}: expected {self.expected}{got}"


def _show(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


class QAWError(Exception):
    """Base class for errors a user can act on."""


class ConfigError(QAWError):
    """A YAML configuration file (mapping, scorecard, plan) is invalid."""


class ValidationError(QAWError):
    """An input table failed validation; ``problems`` lists every problem found."""

    def __init__(self, table: str, file: str, problems: list[Problem], total: int | None = None):
        self.table = table
        self.file = file
        self.problems = problems
        self.total = total
        super().__init__(self._message())

    def _message(self) -> str:
        n = self.total if self.total is not None else len(self.problems)
        head = f"{self.file}: table {self.table!r} failed validation: {n:,d} problem(s)"
        lines = [head]
        groups: dict[tuple, list[Problem]] = {}
        for p in self.problems:
            groups.setdefault((p.column, p.expected), []).append(p)
        if len(groups) < len(self.problems):  # summarise repeated checks first
            for (column, expected), ps in groups.items():
                rows = ", ".join(str(p.row) for p in ps[:5] if p.row is not None)
                more = f" and {len(ps) - 5:,d} more" if len(ps) > 5 else ""
                col = f"column {column!r}: " if column else ""
                lines.append(f"  * {col}expected {expected} — {len(ps):,d} row(s): {rows}{more}")
        lines += [f"  - {p}" for p in self.problems[:SHOW_AT_MOST]]
        if len(self.problems) > SHOW_AT_MOST:
            lines.append(
                f"  ... and {n - SHOW_AT_MOST:,d} more (lenient mode writes every rejected row "
                "with its reasons to a file)"
            )
        return "\n".join(lines)


@contextmanager
def writing(path: object) -> Iterator[None]:
    """OS errors while writing under ``path`` name it: a full disk or a read-only folder
    reports no file name of its own (``Errno 28 No space left on device``)."""
    try:
        yield
    except OSError as e:
        if e.filename is None:
            raise OSError(e.errno, e.strerror or str(e), str(path)) from e
        raise
