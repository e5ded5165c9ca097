"""Where a scan or an operation is now: a pure function of what was stored when it began and
of the clock (``now`` and its scale). No background task moves anything.

A verification scan is ``queuing`` for ``queuing`` clock seconds, then ``executing`` for
``executing`` more, then in its scripted final state (``timedOut`` passes through
``timeOutRequested`` first). Canceling a queuing scan makes it ``canceled`` at once; canceling
an executing one makes it ``cancelationRequested`` for ``cancel_delay`` clock seconds, then
``canceled``.

A scan the agent runs with Soda's engine is queuing and executing for the same clock seconds,
and stays executing until the engine's answer has arrived; it then ends in the state that
answer makes, with the engine's checks and log lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler.emulator.instants import after, elapsed
from reconciler.emulator.state import Operation, Scan, ScanResult

FINAL_SCAN_STATES = frozenset(
    {
        "canceled",
        "timedOut",
        "failed",
        "completedWithErrors",
        "completedWithFailures",
        "completedWithWarnings",
        "completed",
    }
)
CANCELABLE_STATES = frozenset({"queuing", "executing"})


@dataclass(frozen=True)
class LogLine:
    timestamp: datetime
    level: str  # debug | info | warning | error
    message: str


@dataclass(frozen=True)
class ScanView:
    state: str
    started: datetime | None
    ended: datetime | None
    next_change: datetime | None  # when the state will move next; None once final
    checks: tuple[tuple[str, str], ...]  # (check id, evaluationStatus)
    errors: int
    failures: int
    warnings: int
    logs: tuple[LogLine, ...]

    @property
    def final(self) -> bool:
        return self.state in FINAL_SCAN_STATES


def view_scan(scan: Scan, now: datetime, scale: float) -> ScanView:
    if scan.by_agent and scan.cancel_at is None:
        return _view_run_by_agent(scan, now, scale)
    t = elapsed(scan.created, now, scale)
    queued, executed = scan.queuing, scan.queuing + scan.executing

    def at(offset: float) -> datetime:
        return after(scan.created, offset, scale)

    started: datetime | None = None
    ended: datetime | None = None
    next_change: datetime | None = None
    logs: list[LogLine] = [_queued(scan)]
    if scan.cancel_at is not None and scan.cancel_from == "queuing":
        state = "canceled"
        ended = scan.cancel_at
        logs.append(LogLine(scan.cancel_at, "info", "Cancelation requested"))
        logs.append(LogLine(scan.cancel_at, "info", "Scan canceled before an agent picked it up"))
    elif scan.cancel_at is not None:
        started = at(queued)
        logs.append(_picked_up(started))
        canceled_at = at(elapsed(scan.created, scan.cancel_at, scale) + scan.cancel_delay)
        logs.append(LogLine(scan.cancel_at, "info", "Cancelation requested"))
        if now < canceled_at:
            state, next_change = "cancelationRequested", canceled_at
        else:
            state, ended = "canceled", canceled_at
            logs.append(LogLine(canceled_at, "warning", "Scan canceled by request"))
    elif t < queued:
        state, next_change = "queuing", at(queued)
    elif t < executed:
        started = at(queued)
        state, next_change = "executing", at(executed)
        logs.append(_picked_up(started))
    elif scan.outcome == "timedOut" and t < executed + scan.cancel_delay:
        started = at(queued)
        state, next_change = "timeOutRequested", at(executed + scan.cancel_delay)
        logs.append(_picked_up(started))
        logs.append(LogLine(at(executed), "warning", "Scan exceeded its time limit"))
    else:
        started = at(queued)
        state = scan.outcome
        ended = at(executed + (scan.cancel_delay if state == "timedOut" else 0.0))
        logs.append(_picked_up(started))

    checks, errors, failures, warnings = _evaluate(scan, state)
    if ended is not None and state not in {"canceled", "timedOut"}:
        logs.extend(_result_lines(scan, checks, state, ended))
    if state == "timedOut" and ended is not None:
        logs.append(LogLine(ended, "error", "Scan timed out"))
    if ended is not None:
        logs.append(
            LogLine(
                ended,
                "info",
                f"Scan ended: {state} ({failures} failures, {warnings} warnings, {errors} errors)",
            )
        )
    return ScanView(
        state=state,
        started=started,
        ended=ended,
        next_change=next_change,
        checks=tuple(checks),
        errors=errors,
        failures=failures,
        warnings=warnings,
        logs=tuple(logs),
    )


def _view_run_by_agent(scan: Scan, now: datetime, scale: float) -> ScanView:
    t = elapsed(scan.created, now, scale)
    queued, executed = scan.queuing, scan.queuing + scan.executing

    def at(offset: float) -> datetime:
        return after(scan.created, offset, scale)

    logs = [_queued(scan)]
    waiting = tuple(
        (check.id, "notEvaluated" if not check.excluded else "excluded") for check in scan.checks
    )
    if t < queued:
        return ScanView("queuing", None, None, at(queued), waiting, 0, 0, 0, tuple(logs))
    started = at(queued)
    logs.append(_picked_up(started))
    result = scan.result
    ended = max(at(executed), result.finished) if result is not None else None
    if result is None or ended is None or now < ended:
        # Past its executing time with no answer yet: look again in a clock second.
        next_change = at(executed) if t < executed else (ended or at(t + 1.0))
        return ScanView("executing", started, None, next_change, waiting, 0, 0, 0, tuple(logs))
    logs.extend(_engine_lines(result, started, ended))
    failures, warnings = result.count("fail"), result.count("warn")
    logs.append(
        LogLine(
            ended,
            "info",
            f"Scan ended: {result.state} ({failures} failures, {warnings} warnings, "
            f"{result.errors} errors)",
        )
    )
    return ScanView(
        state=result.state,
        started=started,
        ended=ended,
        next_change=None,
        checks=tuple((check.id, check.evaluation_status) for check in result.checks),
        errors=result.errors,
        failures=failures,
        warnings=warnings,
        logs=tuple(logs),
    )


def _engine_lines(result: ScanResult, started: datetime, ended: datetime) -> list[LogLine]:
    """The engine's own lines, between the pick-up and the end, in their order."""
    lines = [
        LogLine(min(started + timedelta(seconds=line.offset), ended), line.level, line.message)
        for line in result.logs
    ]
    if result.state == "timedOut":
        lines.append(LogLine(ended, "warning", "Scan exceeded its time limit"))
    return lines


def _queued(scan: Scan) -> LogLine:
    return LogLine(
        scan.created,
        "info",
        f"Scan {scan.id} queued: {scan.kind} of dataset {scan.dataset_qualified_name} "
        f"({len(scan.checks)} checks)",
    )


def _picked_up(started: datetime) -> LogLine:
    return LogLine(started, "info", "Soda Agent emulator-agent picked up the scan")


def _evaluate(scan: Scan, state: str) -> tuple[list[tuple[str, str]], int, int, int]:
    """Per-check evaluation for a state, and the counts of errors, failures and warnings."""
    evaluated = [check for check in scan.checks if not check.excluded]
    first = evaluated[0].id if evaluated else None
    status: dict[str, str] = {}
    errors = failures = warnings = 0
    for check in evaluated:
        if state == "completed":
            status[check.id] = "pass"
        elif state == "completedWithWarnings":
            status[check.id] = "warn" if check.id == first else "pass"
        elif state == "completedWithFailures":
            status[check.id] = "fail" if check.id == first else "pass"
        elif state == "completedWithErrors":
            status[check.id] = "notEvaluated" if check.id == first else "pass"
        else:
            status[check.id] = "notEvaluated"
    warnings = sum(1 for value in status.values() if value == "warn")
    failures = sum(1 for value in status.values() if value == "fail")
    if state in {"completedWithErrors", "failed"}:
        errors = 1
    checks = [
        (check.id, "excluded" if check.excluded else status[check.id]) for check in scan.checks
    ]
    return checks, errors, failures, warnings


def _result_lines(
    scan: Scan, checks: list[tuple[str, str]], state: str, ended: datetime
) -> list[LogLine]:
    if state == "failed":
        return [
            LogLine(
                ended,
                "error",
                f"Scan failed: the agent could not query dataset {scan.dataset_qualified_name}",
            )
        ]
    paths = {check.id: check.path for check in scan.checks}
    lines: list[LogLine] = []
    for check_id, status in checks:
        path = paths[check_id]
        if status == "pass":
            lines.append(LogLine(ended, "info", f"Check {path}: pass"))
        elif status == "warn":
            lines.append(LogLine(ended, "warning", f"Check {path}: warn"))
        elif status == "fail":
            lines.append(LogLine(ended, "error", f"Check {path}: fail"))
        elif status == "notEvaluated":
            lines.append(
                LogLine(ended, "error", f"Check {path}: error, the check could not be evaluated")
            )
    if state == "completedWithErrors" and not any(s == "notEvaluated" for _, s in checks):
        lines.append(LogLine(ended, "error", "Scan completed with errors"))
    return lines


def operation_state(operation: Operation, now: datetime, scale: float) -> str:
    """``ongoing`` until its duration has passed, then the state settled for it."""
    if elapsed(operation.created, now, scale) < operation.duration:
        return "ongoing"
    return operation.final_state or "ongoing"


def operation_end(operation: Operation, scale: float) -> datetime:
    return after(operation.created, operation.duration, scale)
