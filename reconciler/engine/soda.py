"""The one module that talks to soda-core. Everything it returns is ours
(:mod:`reconciler.engine.model`); soda-core objects never leave it.

soda-core is imported on first use (it takes most of a second), with its usage telemetry off:
it would otherwise post to collect.soda.io on every run. Its log records are captured per run
(soda-core routes them to the active ``Logs`` of the calling thread) and turned into our log
lines with every secret of the data source configuration redacted.

Runs that touch data go to a daemon thread so a time budget can be kept: when it runs out the
caller gets "not checked" at once, the query is interrupted where the driver allows it, and
the thread's late answer is dropped.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from types import ModuleType
from typing import Any, TypeVar

import yaml

from reconciler.engine.datasource import DataSourceConfig
from reconciler.engine.model import (
    CheckResult,
    Column,
    Dataset,
    Diagnostic,
    DiagnosticLevel,
    DiagnosticValue,
    Discovery,
    LogLevel,
    LogLine,
    NotChecked,
    Outcome,
    RunResult,
    Threshold,
    Verdict,
)
from reconciler.engine.status import engine_status, install_hint
from reconciler.errors import DataSourceConfigError, EngineNotInstalled

T = TypeVar("T")

TELEMETRY_ENV = "SODA_CORE_TELEMETRY_ENABLED"
# The name soda-core gives a contract in its places and log lines when none is given.
DEFAULT_SOURCE_NAME = "contract.yml"

_load_lock = threading.Lock()
_modules: dict[str, ModuleType] = {}
# soda-core's places: "..., in customers.yml[4,8]" (0-based line and column from the YAML
# nodes; 1-based for a YAML syntax error, which soda-core counts itself).
_PLACE_SUFFIX = re.compile(r",? in (?P<file>[^\[\]]*)\[(?P<line>\d+),(?P<col>\d+)\]$")


# -- loading soda-core ---------------------------------------------------------------------


def _soda() -> dict[str, ModuleType]:
    """soda-core's modules, imported once; :class:`EngineNotInstalled` without it."""
    with _load_lock:
        if _modules:
            return _modules
        if not engine_status().installed:
            raise EngineNotInstalled(
                "Soda's engine (soda-core) is not installed", hint=install_hint()
            )
        # Always off, whatever the environment says: no run of ours reports to Soda.
        os.environ[TELEMETRY_ENV] = "false"
        import soda_core.common.data_source_impl as data_source_impl
        import soda_core.common.dataset_identifier as dataset_identifier
        import soda_core.common.logs as logs
        import soda_core.common.yaml as soda_yaml
        import soda_core.contracts.contract_verification as verification
        import soda_core.discovery.discovery as discovery

        soda_logger = logging.getLogger("soda")
        if soda_logger.getEffectiveLevel() > logging.INFO:
            # The engine's info lines are the scan log; they are captured, not printed.
            soda_logger.setLevel(logging.INFO)
        _modules.update(
            data_source_impl=data_source_impl,
            dataset_identifier=dataset_identifier,
            logs=logs,
            yaml=soda_yaml,
            verification=verification,
            discovery=discovery,
        )
        return _modules


def load_engine() -> None:
    """Import soda-core now (most of a second, once per process): before forking workers,
    which then inherit it."""
    _soda()


# -- the dry run -----------------------------------------------------------------------------


def dry_run(
    contract: str,
    *,
    variables: Mapping[str, str] | None = None,
    source_name: str = DEFAULT_SOURCE_NAME,
) -> Verdict:
    """The engine's own parse of a contract, without a data source or data: what it refuses
    (errors) and warns about, placed in the contract when the engine says where."""
    soda = _soda()
    captured = _Capture(soda, None)
    diagnostics: list[Diagnostic] = []
    try:
        with captured:
            soda["verification"].ContractVerificationSession.execute(
                contract_yaml_sources=[
                    soda["yaml"].ContractYamlSource.from_str(contract, file_path=source_name)
                ],
                only_validate_without_execute=True,
                variables=dict(variables or {}),
                logs=captured.logs,
            )
    except Exception as error:  # the engine refuses the contract by raising
        diagnostics.append(_raised(error))
    for record in captured.records:
        if record.levelno >= logging.WARNING:
            diagnostics.append(_logged(record))
    return Verdict(tuple(_unique(diagnostics)))


def _raised(error: BaseException) -> Diagnostic:
    message = str(error) or type(error).__name__
    match = _PLACE_SUFFIX.search(message)
    if match is None:
        return Diagnostic("error", message)
    one_based = message.startswith("YAML syntax error")
    line, col = int(match["line"]), int(match["col"])
    if not one_based:
        line, col = line + 1, col + 1
    return Diagnostic("error", message[: match.start()], max(line, 1), max(col, 1))


def _logged(record: logging.LogRecord) -> Diagnostic:
    level: DiagnosticLevel = "error" if record.levelno >= logging.ERROR else "warning"
    location = getattr(record, "location", None)
    line = getattr(location, "line", None)
    col = getattr(location, "column", None)
    if isinstance(line, int) and isinstance(col, int):
        return Diagnostic(level, record.getMessage(), line + 1, col + 1)
    return Diagnostic(level, record.getMessage())


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[Diagnostic] = set()
    kept = []
    for diagnostic in diagnostics:
        if diagnostic not in seen:
            seen.add(diagnostic)
            kept.append(diagnostic)
    return kept


# -- verification ----------------------------------------------------------------------------


DEFAULT_BUDGET = 120.0  # real seconds


def verify(
    contract: str,
    data_source: DataSourceConfig,
    *,
    variables: Mapping[str, str] | None = None,
    check_paths: Sequence[str] | None = None,
    budget: float | None = DEFAULT_BUDGET,
    source_name: str = DEFAULT_SOURCE_NAME,
) -> RunResult:
    """Verify a contract against its data source, locally, publishing nothing.

    ``check_paths`` limits the run to those checks (the others are ``excluded``). A data
    source that cannot be reached, or a run past ``budget`` real seconds (None: no limit),
    is "not checked" with the reason. A configuration soda-core cannot use raises
    :class:`DataSourceConfigError`; a missing engine or data source package
    :class:`EngineNotInstalled`.
    """
    soda = _soda()
    started = _now()
    run = _Run(soda, data_source)
    dataset = _dataset_of(contract)

    def work() -> RunResult:
        return run.verify(contract, variables, check_paths, source_name, dataset, started)

    answer = _within(budget, work, run.interrupt)
    if answer is None:
        return _out_of_time(dataset, data_source, started, budget, run.logs_so_far())
    return answer


@dataclass
class _Box:
    value: Any = None
    error: BaseException | None = None


def _within(budget: float | None, work: Callable[[], T], interrupt: Callable[[], None]) -> T | None:
    """``work()`` in a daemon thread; None when it has not answered within ``budget``."""
    box = _Box()

    def target() -> None:
        try:
            box.value = work()
        except BaseException as error:  # handed to the caller's thread
            box.error = error

    thread = threading.Thread(target=target, name="soda-core", daemon=True)
    thread.start()
    thread.join(budget)
    if thread.is_alive():
        interrupt()
        return None
    if box.error is not None:
        raise box.error
    result: T = box.value
    return result


def _out_of_time(
    dataset: str,
    data_source: DataSourceConfig,
    started: datetime,
    budget: float | None,
    logs: tuple[LogLine, ...],
) -> RunResult:
    reason = f"the time budget of {budget:g} s ran out before the engine answered"
    ended = _now()
    return RunResult(
        dataset=dataset,
        data_source=data_source.name,
        started=started,
        ended=ended,
        logs=(*logs, LogLine(ended, "error", f"Not checked: {reason}")),
        not_checked=NotChecked("budget", reason),
    )


class _Capture:
    """soda-core's log records of one run, made in the running thread."""

    def __init__(self, soda: dict[str, ModuleType], data_source: DataSourceConfig | None) -> None:
        self._soda = soda
        self._data_source = data_source
        self.logs: Any = None
        self.records: list[logging.LogRecord] = []
        self._lock = threading.Lock()

    def __enter__(self) -> _Capture:
        self.logs = self._soda["logs"].Logs()  # constructing one makes it this thread's target
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.records = list(self.logs.get_log_records())
        self.logs.close()

    def lines(self) -> tuple[LogLine, ...]:
        with self._lock:
            records = list(self.records) if self.records else self.live()
        return tuple(
            _line(record, self.redact) for record in records if record.getMessage().strip()
        )

    def live(self) -> list[logging.LogRecord]:
        return list(self.logs.get_log_records()) if self.logs is not None else []

    def redact(self, text: str) -> str:
        return self._data_source.redact(text) if self._data_source is not None else text


class _Run:
    """One verification or discovery against one data source, in its worker thread."""

    def __init__(self, soda: dict[str, ModuleType], data_source: DataSourceConfig) -> None:
        self.soda = soda
        self.data_source = data_source
        self.capture = _Capture(soda, data_source)
        self.impl: Any = None

    def logs_so_far(self) -> tuple[LogLine, ...]:
        return self.capture.lines()

    def interrupt(self) -> None:
        """Best effort: ask the driver to stop the running query (DuckDB ``interrupt``,
        psycopg ``cancel``)."""
        connection = getattr(getattr(self.impl, "data_source_connection", None), "connection", None)
        for name in ("interrupt", "cancel_safe", "cancel"):
            stop = getattr(connection, name, None) or getattr(
                getattr(connection, "_delegate", None), name, None
            )
            if callable(stop):
                # The query may have ended meanwhile.
                with contextlib.suppress(Exception):
                    stop()
                return

    def verify(
        self,
        contract: str,
        variables: Mapping[str, str] | None,
        check_paths: Sequence[str] | None,
        source_name: str,
        dataset: str,
        started: datetime,
    ) -> RunResult:
        redact = self.data_source.redact
        with self.capture:
            self.impl = self._impl()
            unreachable = self._connect()
            if unreachable is not None:
                return self._unreachable(dataset, started, unreachable)
            errors: list[str] = []
            results: list[Any] = []
            try:
                session = self.soda["verification"].ContractVerificationSession.execute(
                    contract_yaml_sources=[
                        self.soda["yaml"].ContractYamlSource.from_str(
                            contract, file_path=source_name
                        )
                    ],
                    variables=dict(variables or {}),
                    data_source_impls=[self.impl],
                    check_paths=list(check_paths) if check_paths is not None else None,
                    logs=self.capture.logs,
                )
                results = list(session.contract_verification_results)
            except Exception as error:  # the engine refuses the contract by raising
                errors.append(redact(str(error) or type(error).__name__))
            finally:
                self._close()
        logs = self.capture.lines()
        errors = [line.message for line in logs if line.level == "error"] + errors
        for result in results:
            dataset = getattr(result.contract, "soda_qualified_dataset_name", None) or dataset
        failing = bool(errors)
        checks = tuple(
            _check(check_result, dataset, failing, redact)
            for result in results
            for check_result in result.check_results
        )
        return RunResult(
            dataset=dataset,
            data_source=self.data_source.name,
            started=started,
            ended=_now(),
            checks=checks,
            logs=logs,
            errors=tuple(dict.fromkeys(errors)),
        )

    def discover(self) -> Discovery:
        with self.capture:
            self.impl = self._impl()
            unreachable = self._connect()
            if unreachable is not None:
                return Discovery(self.data_source.name, not_checked=unreachable)
            try:
                datasets = self._datasets()
            except Exception as error:
                reason = self.data_source.redact(
                    f"could not read the catalog of data source '{self.data_source.name}': "
                    f"{_first_line(error)}"
                )
                return Discovery(
                    self.data_source.name, not_checked=NotChecked("unreachable", reason)
                )
            finally:
                self._close()
        return Discovery(self.data_source.name, datasets=datasets)

    def _impl(self) -> Any:
        """soda-core's data source, from our configuration; our errors for a bad one."""
        source = self.soda["yaml"].DataSourceYamlSource.from_str(
            self.data_source.text, file_path=self.data_source.origin
        )
        try:
            return self.soda["data_source_impl"].DataSourceImpl.from_yaml_source(source)
        except ImportError:
            raise EngineNotInstalled(
                f"{self.data_source.describe()}: soda-core has no package for data source type "
                f"'{self.data_source.type}' here",
                hint=install_hint(self.data_source.type),
            ) from None
        except Exception as error:
            raise DataSourceConfigError(
                f"{self.data_source.describe()}: soda-core cannot use it: {_config_problem(error, self.data_source)}",
                hint="Fix the data source configuration; docs/engine.md shows the keys soda-core reads.",
            ) from None

    def _connect(self) -> NotChecked | None:
        """None once connected; else why not (soda-core logs a failed connect and goes on)."""
        problem: str | None = None
        try:
            self.impl.open_connection()
        except Exception as error:
            problem = _first_line(error.__cause__ or error)
        if problem is None and self.impl.has_open_connection():
            return None
        if problem is None:
            logged = [r for r in self.capture.live() if r.levelno >= logging.ERROR]
            problem = _first(logged[-1].getMessage()) if logged else "no connection"
            problem = problem.removeprefix(f"Could not connect to '{self.data_source.name}': ")
        return NotChecked(
            "unreachable",
            self.data_source.redact(
                f"could not connect to data source '{self.data_source.name}': {problem}"
            ),
        )

    def _close(self) -> None:
        # Closing a broken connection: nothing left to release.
        with contextlib.suppress(Exception):
            self.impl.close_connection()

    def _unreachable(self, dataset: str, started: datetime, why: NotChecked) -> RunResult:
        ended = _now()
        return RunResult(
            dataset=dataset,
            data_source=self.data_source.name,
            started=started,
            ended=ended,
            logs=(LogLine(ended, "error", _capitalized(why.reason)),),
            errors=(why.reason,),
            not_checked=why,
        )

    def _datasets(self) -> tuple[Dataset, ...]:
        identifier = self.soda["dataset_identifier"].DatasetIdentifier
        names = self.soda["discovery"].discover_dataset_dqns(self.impl, prefixes=[])
        by_prefixes: dict[tuple[str, ...], list[Any]] = {}
        for name in names:
            parsed = identifier.parse(name)
            by_prefixes.setdefault(tuple(parsed.prefixes), []).append(parsed)
        datasets: list[Dataset] = []
        for prefixes, parsed_names in by_prefixes.items():
            bulk = self._columns_of_schema(list(prefixes))
            for parsed in parsed_names:
                metadata = bulk.get(parsed.dataset_name)
                if metadata is None:
                    metadata = self.impl.get_columns_metadata(list(prefixes), parsed.dataset_name)
                datasets.append(
                    Dataset(
                        qualified_name=parsed.to_string(),
                        data_source=self.data_source.name,
                        prefixes=prefixes,
                        name=parsed.dataset_name,
                        columns=tuple(_column(item) for item in metadata),
                    )
                )
        return tuple(sorted(datasets, key=lambda d: d.qualified_name))

    def _columns_of_schema(self, prefixes: list[str]) -> dict[str, list[Any]]:
        try:
            columns: dict[str, list[Any]] = self.impl.get_all_columns_metadata_for_schema(prefixes)
        except Exception:  # per table, then
            return {}
        return columns


# -- discovery -------------------------------------------------------------------------------


def discover(data_source: DataSourceConfig, *, budget: float | None = DEFAULT_BUDGET) -> Discovery:
    """The datasets of a data source, named as the engine names them, with their columns and
    data types from the catalog; "not checked" when it cannot be reached or read in time."""
    soda = _soda()
    run = _Run(soda, data_source)
    answer = _within(budget, run.discover, run.interrupt)
    if answer is None:
        reason = f"the time budget of {budget:g} s ran out before the catalog was read"
        return Discovery(data_source.name, not_checked=NotChecked("budget", reason))
    return answer


# -- from soda-core's objects to ours ------------------------------------------------------------


_OUTCOMES: dict[str, Outcome] = {
    "PASSED": "pass",
    "FAILED": "fail",
    "WARN": "warn",
    "EXCLUDED": "excluded",
}


def _check(
    result: Any, dataset: str, run_had_errors: bool, redact: Callable[[str], str]
) -> CheckResult:
    check = result.check
    name = getattr(result.outcome, "name", str(result.outcome))
    outcome: Outcome = _OUTCOMES.get(name, "error" if run_had_errors else "notEvaluated")
    location = getattr(check, "location", None)
    line, col = getattr(location, "line", None), getattr(location, "column", None)
    value = _number(result.threshold_value)
    diagnostics = _diagnostics(result.diagnostic_metric_values, redact)
    return CheckResult(
        path=str(getattr(check, "check_path", "") or check.relative_path),
        dataset=dataset,
        column=check.column_name,
        type=str(check.type),
        qualifier=None if check.qualifier is None else str(check.qualifier),
        name=redact(str(check.name or check.type)),
        identity=str(check.identity),
        outcome=outcome,
        value=value,
        threshold=_threshold(check.threshold),
        warn_threshold=_threshold(getattr(check, "warn_threshold", None)),
        diagnostics=diagnostics,
        line=line + 1 if isinstance(line, int) else None,
        col=col + 1 if isinstance(col, int) else None,
        metric=_metric(str(check.type), getattr(check, "definition", None), diagnostics, value),
    )


# Check types whose value is a count of rows, or its percentage with `metric: percent`.
_COUNTED = frozenset({"missing", "invalid", "duplicate", "failed_rows"})
_FIXED_METRICS = {"row_count": "row_count", "schema": "schema_events_count"}
_ROWS_TESTED = frozenset({"check_rows_tested", "dataset_rows_tested"})


def _metric(
    check_type: str,
    definition: Any,
    diagnostics: Mapping[str, DiagnosticValue],
    value: float | int | None,
) -> str | None:
    """The name of the value a check's threshold judged, as the engine names it in its
    diagnostics (the check's own definition says whether it counts rows or a percentage)."""
    if check_type in _COUNTED:
        threshold = _definition_body(definition).get("threshold")
        percent = isinstance(threshold, dict) and threshold.get("metric") == "percent"
        return f"{check_type}_{'percent' if percent else 'count'}"
    if check_type in _FIXED_METRICS:
        return _FIXED_METRICS[check_type]
    if value is None:
        return None
    return next(
        (
            key
            for key, measured in diagnostics.items()
            if key not in _ROWS_TESTED and measured == value
        ),
        None,
    )


def _definition_body(definition: Any) -> dict[str, Any]:
    """The body of the one check of a check's definition (the engine's YAML of the check
    within its column: ``columns: [{name, checks: [BODY]}]`` or ``checks: [BODY]``)."""
    if not isinstance(definition, str):
        return {}
    try:
        document = yaml.safe_load(definition)
    except yaml.YAMLError:
        return {}
    while isinstance(document, dict):
        if isinstance(document.get("checks"), list) and document["checks"]:
            body = document["checks"][0]
            return body if isinstance(body, dict) else {}
        columns = document.get("columns")
        document = columns[0] if isinstance(columns, list) and columns else None
    return {}


def _threshold(threshold: Any) -> Threshold | None:
    if threshold is None:
        return None
    return Threshold(
        level="warn" if str(threshold.level) == "warn" else "fail",
        must_be=_number(threshold.must_be),
        must_not_be=_number(threshold.must_not_be),
        must_be_greater_than=_number(threshold.must_be_greater_than),
        must_be_greater_than_or_equal=_number(threshold.must_be_greater_than_or_equal),
        must_be_less_than=_number(threshold.must_be_less_than),
        must_be_less_than_or_equal=_number(threshold.must_be_less_than_or_equal),
    )


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _diagnostics(values: Any, redact: Callable[[str], str]) -> dict[str, DiagnosticValue]:
    if not isinstance(values, dict):
        return {}
    plain: dict[str, DiagnosticValue] = {}
    for key, value in values.items():
        if isinstance(value, bool):
            plain[str(key)] = int(value)
        elif isinstance(value, (int, float)):
            plain[str(key)] = value
        elif value is not None:
            plain[str(key)] = redact(str(value))
    return plain


def _column(metadata: Any) -> Column:
    data_type = metadata.sql_data_type
    return Column(
        name=str(metadata.column_name),
        data_type=str(getattr(data_type, "name", "") or "").lower(),
        character_maximum_length=_int(getattr(data_type, "character_maximum_length", None)),
        numeric_precision=_int(getattr(data_type, "numeric_precision", None)),
        numeric_scale=_int(getattr(data_type, "numeric_scale", None)),
        datetime_precision=_int(getattr(data_type, "datetime_precision", None)),
        source_data_type=getattr(metadata, "source_data_type", None),
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _line(record: logging.LogRecord, redact: Callable[[str], str]) -> LogLine:
    return LogLine(
        time=datetime.fromtimestamp(record.created, timezone.utc),
        level=_level(record.levelno),
        message=redact(record.getMessage()),
    )


def _level(levelno: int) -> LogLevel:
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    if levelno >= logging.INFO:
        return "info"
    return "debug"


def _config_problem(error: BaseException, data_source: DataSourceConfig) -> str:
    """What is wrong, without the values (pydantic would print them: a password among them)."""
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            return data_source.redact(f"{where}: {first.get('msg', 'invalid')}")
        except Exception:  # not pydantic's shape after all
            pass
    return data_source.redact(_first_line(error))


def _dataset_of(contract: str) -> str:
    """The contract's ``dataset`` as written (for a run the engine could not start)."""
    match = re.search(r"^dataset:\s*['\"]?([^'\"#\n]+?)['\"]?\s*(#.*)?$", contract, re.MULTILINE)
    return match.group(1).strip() if match else ""


def _first_line(error: BaseException) -> str:
    return _first(str(error)) or type(error).__name__


def _first(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0].strip() if lines else ""


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _now() -> datetime:
    return datetime.now(timezone.utc)
