"""What a changed contract does on today's data (``plan --check-data``): values the planner
attaches to an entry and the renderers word, observed by Soda's engine, never decided.

Per checked dataset a :class:`DataCheck`: the data source it ran on, each check's outcome
with the values the engine measured (:class:`CheckedCheck`), the engine's errors, or why the
data was not looked at (:class:`NotChecked`). A check that would fail, warn or not evaluate
says whether that is new with this change or already so under the contract Soda Cloud has
(:class:`Since`): a pull request is stopped only by what it makes fail.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

# Real seconds one contract may run (each of git's and Soda Cloud's): a pull request's check
# should not wait on a slow warehouse for long, and gets "not checked" instead.
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class DataChecks:
    """A plan's request to run its changed contracts on today's data (``--check-data``),
    each run within ``budget`` real seconds (``--check-data-timeout``; None: no limit)."""

    budget: float | None = DEFAULT_TIMEOUT


Number = int | float


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CheckOutcome(str, enum.Enum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    # The engine could not evaluate it: a failed query, a column the table lacks.
    ERROR = "error"
    # Not evaluated for another reason (a threshold the engine cannot judge).
    NOT_EVALUATED = "not-evaluated"


# What a pull request may not make worse: failures, and checks that can no longer run.
FAILING = frozenset({CheckOutcome.FAIL, CheckOutcome.ERROR})


class Since(str, enum.Enum):
    """How a check that does not pass stands to the contract Soda Cloud has."""

    NEW = "new"  # it passes there, or is not there: this change makes it so
    ALREADY = "already"  # Soda Cloud's contract has it, with the same outcome on today's data
    UNKNOWN = "unknown"  # Soda Cloud's contract could not be run to tell


class Bounds(Frozen):
    """A threshold as the engine read it: the comparisons the value must meet."""

    level: str  # fail | warn
    must_be: Number | None = None
    must_not_be: Number | None = None
    must_be_greater_than: Number | None = None
    must_be_greater_than_or_equal: Number | None = None
    must_be_less_than: Number | None = None
    must_be_less_than_or_equal: Number | None = None


class CheckedCheck(Frozen):
    """One check of the changed contract, run on today's data."""

    path: str  # the engine's check path: columns.email.checks.missing
    column: str | None = None
    type: str
    qualifier: str | None = None
    name: str
    outcome: CheckOutcome
    metric: str | None = None  # what ``value`` measures (missing_count, row_count, avg...)
    value: Number | None = None
    threshold: Bounds | None = None
    warn_threshold: Bounds | None = None
    diagnostics: dict[str, Number | str] = {}
    # For an outcome other than pass: new with this change, or already so in Soda Cloud.
    since: Since | None = None
    line: int | None = None  # where the check is in the file (1-based)


class NotCheckedCause(str, enum.Enum):
    UNREACHABLE = "unreachable"  # the data source could not be reached (or its catalog read)
    BUDGET = "budget"  # the contract ran past its time budget (--check-data-timeout)
    NO_DATA_SOURCE = "no-data-source"  # data_sources names no data source for the dataset


class NotChecked(Frozen):
    cause: NotCheckedCause
    data_source: str  # the data source the dataset names (its first part)
    reason: str | None = None  # the engine's words (secrets redacted), when it gave some


class Baseline(str, enum.Enum):
    """What the outcomes were compared with, to tell new from already failing."""

    NONE = "none"  # a create: Soda Cloud has no contract, every outcome is new
    NOT_NEEDED = "not-needed"  # every check passes: nothing to compare
    CLOUD = "cloud"  # Soda Cloud's contract was run on the same data
    NOT_RUN = "not-run"  # Soda Cloud's contract could not be run (since: unknown)


class DataCheck(Frozen):
    """A changed contract run on today's data, locally, publishing nothing."""

    data_source: str
    checks: tuple[CheckedCheck, ...] = ()
    # The engine's errors (a query that failed, a contract it refused), secrets redacted.
    errors: tuple[str, ...] = ()
    # Whether those errors are new with this change (None: no errors).
    errors_since: Since | None = None
    not_checked: NotChecked | None = None
    baseline: Baseline = Baseline.NONE
    # This change makes a check fail (or stop running) on today's data: what ``--fail-on
    # failing-checks`` stops (:func:`fails_anew`), kept for readers of the saved plan.
    failing: bool = False

    @property
    def checked(self) -> bool:
        return self.not_checked is None

    def count(self, outcome: CheckOutcome) -> int:
        return sum(1 for check in self.checks if check.outcome is outcome)

    @property
    def new_failures(self) -> tuple[CheckedCheck, ...]:
        """Checks this change makes fail (or stop running): what ``--fail-on
        failing-checks`` stops. A failure the plan could not compare counts as new."""
        return tuple(
            check
            for check in self.checks
            if check.outcome in FAILING and check.since is not Since.ALREADY
        )


def fails_anew(
    checks: tuple[CheckedCheck, ...], errors: tuple[str, ...], errors_since: Since | None
) -> bool:
    """The change makes a check fail (or stop running), or the contract fail to run. A
    failure the plan could not compare with Soda Cloud's contract counts as new."""
    erring = bool(errors) and errors_since is not Since.ALREADY
    return erring or any(c.outcome in FAILING and c.since is not Since.ALREADY for c in checks)
