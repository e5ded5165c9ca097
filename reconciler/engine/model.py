"""What Soda's engine answers, as plain data of ours (never soda-core objects).

Everything here is frozen and built only from strings, numbers and instants, so a caller can
keep it, compare it, render it or persist it (``pydantic.TypeAdapter`` reads and writes every
type) without soda-core being importable. No value here holds a secret: the engine's messages
are redacted before they are put in (see :mod:`reconciler.engine.datasource`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# A check's outcome. ``error``: the engine could not evaluate it because the run had errors
# (a failed query, an unknown column); ``notEvaluated``: not evaluated for another reason
# (no threshold it can judge, metadata it could not read); ``excluded``: outside the
# requested check paths.
Outcome = Literal["pass", "warn", "fail", "error", "notEvaluated", "excluded"]
LogLevel = Literal["debug", "info", "warning", "error"]
DiagnosticLevel = Literal["error", "warning"]
# Why a run or a discovery did not look at the data.
NotCheckedCause = Literal["unreachable", "budget"]
DiagnosticValue = float | int | str


@dataclass(frozen=True)
class EngineStatus:
    """Whether Soda's engine is installed here, and for which data source types."""

    installed: bool
    version: str | None
    data_source_types: tuple[str, ...]

    def supports(self, data_source_type: str) -> bool:
        return self.installed and data_source_type in self.data_source_types


@dataclass(frozen=True)
class Diagnostic:
    """One thing the engine said about a contract; ``line``/``col`` are 1-based, when the
    engine gave a place."""

    level: DiagnosticLevel
    message: str
    line: int | None = None
    col: int | None = None


@dataclass(frozen=True)
class Verdict:
    """The engine's dry run of a contract: what it would refuse (errors) or warn about."""

    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.level == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.level == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Threshold:
    """The bounds a check's value is judged by, as the engine read them; ``level`` says
    whether crossing them fails or warns."""

    level: Literal["fail", "warn"]
    must_be: float | None = None
    must_not_be: float | None = None
    must_be_greater_than: float | None = None
    must_be_greater_than_or_equal: float | None = None
    must_be_less_than: float | None = None
    must_be_less_than_or_equal: float | None = None


@dataclass(frozen=True)
class CheckResult:
    """One check of one run.

    ``path`` is the check path as Soda names it (the ``checkPaths`` of a verification):
    ``checks.row_count`` for a dataset check, ``columns.email.checks.missing`` for a column
    check, ``.QUALIFIER`` appended when it has one. ``identity`` is the engine's stable hash
    of dataset, column, type and qualifier. ``value`` is the measured value the threshold was
    applied to; ``diagnostics`` the engine's diagnostic values (``missing_count``,
    ``missing_percent``, ``check_rows_tested``, ...). ``line``/``col`` (1-based) place the
    check in the contract.
    """

    path: str
    dataset: str
    column: str | None
    type: str
    qualifier: str | None
    name: str
    identity: str
    outcome: Outcome
    value: float | int | None = None
    threshold: Threshold | None = None
    warn_threshold: Threshold | None = None
    diagnostics: Mapping[str, DiagnosticValue] = field(default_factory=dict)
    line: int | None = None
    col: int | None = None
    metric: str | None = None


@dataclass(frozen=True)
class LogLine:
    """One of the engine's own log lines (UTC instant)."""

    time: datetime
    level: LogLevel
    message: str


@dataclass(frozen=True)
class NotChecked:
    """Why the data was not looked at: it could not be reached, or the time budget ran out."""

    cause: NotCheckedCause
    reason: str


@dataclass(frozen=True)
class RunResult:
    """A verification of one contract against its data source.

    ``errors`` are the engine's error messages (a run with errors still carries the checks
    it could evaluate); ``not_checked`` is set when the data was never looked at, and then
    ``checks`` is empty. ``started``/``ended`` are real UTC instants.
    """

    dataset: str
    data_source: str
    started: datetime
    ended: datetime
    checks: tuple[CheckResult, ...] = ()
    logs: tuple[LogLine, ...] = ()
    errors: tuple[str, ...] = ()
    not_checked: NotChecked | None = None

    @property
    def checked(self) -> bool:
        return self.not_checked is None

    def count(self, outcome: Outcome) -> int:
        return sum(1 for check in self.checks if check.outcome == outcome)

    @property
    def failures(self) -> int:
        return self.count("fail")

    @property
    def warnings(self) -> int:
        return self.count("warn")

    def check(self, path: str) -> CheckResult | None:
        return next((check for check in self.checks if check.path == path), None)


@dataclass(frozen=True)
class Column:
    """A column as the data source's catalog describes it and the engine reads it.

    ``data_type`` is the engine's name for the type (lower case, without parameters:
    ``character varying``, ``decimal``); the parameters are apart, as a contract's column
    spells them. ``source_data_type`` is the catalog's own spelling (``DECIMAL(10,2)``).
    """

    name: str
    data_type: str
    character_maximum_length: int | None = None
    numeric_precision: int | None = None
    numeric_scale: int | None = None
    datetime_precision: int | None = None
    source_data_type: str | None = None


@dataclass(frozen=True)
class Dataset:
    """A table or view of a data source, named as the engine names it: the data source's
    name, the dialect's prefixes (PostgreSQL: database and schema; DuckDB: schema), the
    table (``pg/shop/public/customers``, ``shop/main/customers``)."""

    qualified_name: str
    data_source: str
    prefixes: tuple[str, ...]
    name: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Discovery:
    """The datasets of one data source, or why it could not be read."""

    data_source: str
    datasets: tuple[Dataset, ...] = ()
    not_checked: NotChecked | None = None

    @property
    def reached(self) -> bool:
        return self.not_checked is None
