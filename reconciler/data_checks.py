"""The data-aware plan (``plan --check-data``): every contract the plan would create, or publish
with a change of meaning, run by Soda's engine on today's data, locally, publishing nothing.

An effect at the edge, like :mod:`reconciler.observed`: :func:`check_data` runs the engine
(:mod:`reconciler.engine`) between reading Soda Cloud and making the plan, and hands the
planner its answers as data (:class:`~reconciler.plan.checks.DataCheck`, by dataset). Which
contracts it runs follows from the comparison the planner reads (:func:`to_check`); what the
answers mean is pure (:func:`judged`).

A dataset runs on the data source its name starts with (``shop/main/customers``: ``shop``),
taken from ``data_sources:`` in reconciler.yml. A failure is *new* unless the contract Soda
Cloud has, run on the same data, fails the same check: a pull request is stopped only by
what it makes fail. Soda Cloud's contract is run only when git's has something that does not
pass. A data source that cannot be reached, or a run past its budget, is "not checked" with
the reason; once a data source was found unreachable, its other datasets are not tried again
in the same plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.compare import Comparison, Side, compare
from reconciler.config import ProjectConfig
from reconciler.contract import parse_contract_text
from reconciler.contract.referee import dry_run_variables
from reconciler.desired import DesiredState
from reconciler.engine import CheckResult as EngineCheck
from reconciler.engine import (
    DataSourceConfig,
    RunResult,
    data_source_from_mapping,
    engine_status,
    install_hint,
    load_data_source,
    verify,
)
from reconciler.engine import Threshold as EngineThreshold
from reconciler.errors import DataSourceConfigError, EngineNotInstalled
from reconciler.observed import ObservedState
from reconciler.plan.checks import (
    DEFAULT_TIMEOUT,
    Baseline,
    Bounds,
    CheckedCheck,
    CheckOutcome,
    DataCheck,
    NotChecked,
    NotCheckedCause,
    Since,
    fails_anew,
)
from reconciler.plan.globs import DatasetFilter
from reconciler.plan.vocabulary import ChangeClass
from reconciler.state import StateFile

_OUTCOMES = {
    "pass": CheckOutcome.PASS,
    "warn": CheckOutcome.WARN,
    "fail": CheckOutcome.FAIL,
    "error": CheckOutcome.ERROR,
    "notEvaluated": CheckOutcome.NOT_EVALUATED,
}
# How bad an outcome is: one at least as bad under Soda Cloud's contract is no news.
_WEIGHT = {
    CheckOutcome.PASS: 0,
    CheckOutcome.NOT_EVALUATED: 1,
    CheckOutcome.WARN: 2,
    CheckOutcome.FAIL: 3,
    CheckOutcome.ERROR: 3,
}


@dataclass(frozen=True)
class DataChecking:
    """What a plan's data checks run on: the data sources by name, each run's budget (real
    seconds), and the ``--var`` values a verification would be given."""

    sources: Mapping[str, DataSourceConfig]
    budget: float | None = DEFAULT_TIMEOUT
    variables: Mapping[str, str] = field(default_factory=dict)


def data_checking(
    project: ProjectConfig, *, budget: float | None, variables: Mapping[str, str]
) -> DataChecking:
    """The data checks of this project, ready to run: the engine and each data source's
    package installed, every configuration readable. A mistake raises a
    :class:`~reconciler.errors.ConfigError` before anything is read from Soda Cloud."""
    status = engine_status()
    if not status.installed:
        raise EngineNotInstalled(
            "--check-data: Soda's engine (soda-core) is not installed", hint=install_hint()
        )
    sources = data_sources_of(project)
    for source in sources.values():
        if not status.supports(source.type):
            raise EngineNotInstalled(
                f"--check-data: {source.describe()}: Soda's engine has no package for "
                f"data source type '{source.type}' here",
                hint=install_hint(source.type),
            )
    return DataChecking(sources, budget, dict(variables))


def data_sources_of(project: ProjectConfig) -> dict[str, DataSourceConfig]:
    """``data_sources:`` of reconciler.yml by name: files (relative to reconciler.yml) and
    inline mappings."""
    where = str(project.source or "reconciler.yml")
    sources: dict[str, DataSourceConfig] = {}
    for index, entry in enumerate(project.data_source_entries()):
        origin = f"{where}: data_sources[{index}]"
        source = _data_source(entry, origin)
        if source.name in sources:
            raise DataSourceConfigError(
                f"{origin}: a data source named '{source.name}' is listed twice",
                hint="Give each data source of data_sources its own name.",
            )
        sources[source.name] = source
    return sources


def _data_source(entry: Path | Mapping[str, Any], origin: str) -> DataSourceConfig:
    if isinstance(entry, Path):
        try:
            return load_data_source(entry)
        except DataSourceConfigError as error:
            raise DataSourceConfigError(f"{origin}: {error}", hint=error.hint) from None
    return data_source_from_mapping(entry, origin=origin)


def to_check(
    desired: DesiredState, observed: ObservedState, state: StateFile, wanted: DatasetFilter
) -> list[Comparison]:
    """The datasets the plan would create, or publish with a change of meaning: compared as
    the planner compares them. Stubs and format-only publishes are not run."""
    found = []
    for name in sorted(filter(wanted, desired.contracts)):
        compared = compare(
            name,
            desired.contracts[name],
            observed.contracts.get(name),
            state.datasets.get(name),
            observed.newer_versions.get(name, ()),
        )
        if _changes_meaning(compared):
            found.append(compared)
    return found


def _changes_meaning(compared: Comparison) -> bool:
    """A create, or a publish that changes more than the text's layout."""
    if compared.file is None or compared.file.is_stub:
        return False
    if compared.side is Side.NOT_IN_CLOUD:
        return True
    return compared.side is Side.DIFFERENT and compared.change_class not in (
        None,
        ChangeClass.FORMAT_ONLY,
    )


def check_data(comparisons: Iterable[Comparison], checking: DataChecking) -> dict[str, DataCheck]:
    """Each compared dataset's contract run on today's data, by dataset. Blocks while the
    engine runs (each run within ``checking.budget``)."""
    unreachable: dict[str, NotChecked] = {}
    results: dict[str, DataCheck] = {}
    for compared in comparisons:
        file = compared.file
        assert file is not None
        name = data_source_name(compared.dataset)
        source = checking.sources.get(name)
        if source is None:
            results[compared.dataset] = DataCheck(
                data_source=name,
                not_checked=NotChecked(cause=NotCheckedCause.NO_DATA_SOURCE, data_source=name),
            )
            continue
        if name in unreachable:
            results[compared.dataset] = DataCheck(data_source=name, not_checked=unreachable[name])
            continue
        result = _run(file.raw_text, file.document, file.display_path, source, checking)
        baseline = None
        remote = compared.remote
        if result.checked and remote is not None and _not_all_pass(result):
            document = parse_contract_text(remote.contents or "", "Soda Cloud").document
            baseline = _run(
                remote.contents or "", document, f"Soda Cloud: {compared.dataset}", source, checking
            )
        judged_check = judged(name, result, baseline, created=remote is None)
        if (
            judged_check.not_checked
            and judged_check.not_checked.cause is NotCheckedCause.UNREACHABLE
        ):
            unreachable[name] = judged_check.not_checked
        results[compared.dataset] = judged_check
    return results


def data_source_name(dataset: str) -> str:
    """The data source a dataset runs on: the first part of its qualified name."""
    return dataset.split("/", 1)[0]


def _run(
    text: str, document: Any, source_name: str, source: DataSourceConfig, checking: DataChecking
) -> RunResult:
    return verify(
        text,
        source,
        variables=dry_run_variables(document, checking.variables),
        budget=checking.budget,
        source_name=source_name,
    )


def _not_all_pass(result: RunResult) -> bool:
    return bool(result.errors) or any(check.outcome != "pass" for check in result.checks)


# --- what the answers mean (pure) ---------------------------------------------------------


def judged(
    data_source: str, result: RunResult, baseline: RunResult | None, *, created: bool
) -> DataCheck:
    """Git's run (``result``) as a plan's data check; ``baseline`` is Soda Cloud's contract
    on the same data (None: not run), ``created`` that Soda Cloud has no contract."""
    if result.not_checked is not None:
        return DataCheck(
            data_source=data_source,
            not_checked=NotChecked(
                cause=NotCheckedCause(result.not_checked.cause),
                data_source=data_source,
                reason=result.not_checked.reason,
            ),
        )
    base = _baseline(result, baseline, created=created)
    checks = tuple(
        _checked(check, _since(check, base, baseline))
        for check in result.checks
        if check.outcome in _OUTCOMES
    )
    errors_since = None
    if result.errors:
        errors_since = _errors_since(result.errors, base, baseline)
    return DataCheck(
        data_source=data_source,
        checks=checks,
        errors=result.errors,
        errors_since=errors_since,
        baseline=base,
        failing=fails_anew(checks, result.errors, errors_since),
    )


def _baseline(result: RunResult, baseline: RunResult | None, *, created: bool) -> Baseline:
    if created:
        return Baseline.NONE
    if not _not_all_pass(result):
        return Baseline.NOT_NEEDED
    if baseline is None or baseline.not_checked is not None:
        return Baseline.NOT_RUN
    return Baseline.CLOUD


def _since(check: EngineCheck, base: Baseline, baseline: RunResult | None) -> Since | None:
    outcome = _OUTCOMES[check.outcome]
    if outcome is CheckOutcome.PASS:
        return None
    if base is Baseline.NONE:
        return Since.NEW
    if base is not Baseline.CLOUD or baseline is None:
        return Since.UNKNOWN
    theirs = baseline.check(check.path)
    if theirs is None or theirs.outcome not in _OUTCOMES:
        return Since.NEW
    return Since.ALREADY if _WEIGHT[_OUTCOMES[theirs.outcome]] >= _WEIGHT[outcome] else Since.NEW


def _errors_since(errors: tuple[str, ...], base: Baseline, baseline: RunResult | None) -> Since:
    if base is Baseline.NONE:
        return Since.NEW
    if base is not Baseline.CLOUD or baseline is None:
        return Since.UNKNOWN
    return Since.ALREADY if set(errors) <= set(baseline.errors) else Since.NEW


def _checked(check: EngineCheck, since: Since | None) -> CheckedCheck:
    return CheckedCheck(
        path=check.path,
        column=check.column,
        type=check.type,
        qualifier=check.qualifier,
        name=check.name,
        outcome=_OUTCOMES[check.outcome],
        metric=check.metric,
        value=check.value,
        threshold=_bounds(check.threshold),
        warn_threshold=_bounds(check.warn_threshold),
        diagnostics=dict(check.diagnostics),
        since=since,
        line=check.line,
    )


def _bounds(threshold: EngineThreshold | None) -> Bounds | None:
    if threshold is None:
        return None
    return Bounds(
        level=threshold.level,
        must_be=threshold.must_be,
        must_not_be=threshold.must_not_be,
        must_be_greater_than=threshold.must_be_greater_than,
        must_be_greater_than_or_equal=threshold.must_be_greater_than_or_equal,
        must_be_less_than=threshold.must_be_less_than,
        must_be_less_than_or_equal=threshold.must_be_less_than_or_equal,
    )
