"""Apply reports as text, markdown and JSON: pure functions of an ApplyResult."""

from __future__ import annotations

from reconciler.apply.result import ApplyResult, DatasetOutcome, Status, Stop
from reconciler.render.escape import code, html_code, json_text, markdown, printable
from reconciler.render.words import (
    checked_words,
    done_words,
    notice_words,
    outcome_error,
    recovery_words,
    scan_error_lines,
)

MARK = {
    Status.APPLIED: "✓",
    Status.WARNED: "!",
    Status.VERIFY_FAILED: "✗",
    Status.FAILED: "✗",
    Status.NOT_STARTED: "-",
}
ERROR_LINES_SHOWN = 10


def summary_line(result: ApplyResult) -> str:
    counts = result.counts()
    parts = [f"{counts[Status.APPLIED]} applied"]
    if counts[Status.WARNED]:
        parts.append(f"{counts[Status.WARNED]} with warnings")
    parts.append(
        f"{counts[Status.VERIFY_FAILED]} verification{'s' if counts[Status.VERIFY_FAILED] != 1 else ''} failed"
    )
    parts.append(f"{counts[Status.FAILED]} failed")
    if counts[Status.NOT_STARTED]:
        parts.append(f"{counts[Status.NOT_STARTED]} not started")
    state_lost = any(d.stopped is Stop.STATE_LOST for d in result.datasets)
    head = (
        "Apply interrupted"
        if result.interrupted
        else "Apply stopped: another run took the state"
        if state_lost
        else "Apply stopped early (--fail-fast)"
        if result.stopped_early
        else "Apply finished"
    )
    return f"{head}: " + ", ".join(parts)


def _detail_lines(outcome: DatasetOutcome) -> list[str]:
    lines: list[str] = []
    verification = outcome.verification
    if verification is not None and verification.state != "completed":
        if verification.cloud_url:
            lines.append(f"scan: {verification.cloud_url}")
        if verification.failing_checks:
            lines.append("failing checks: " + ", ".join(verification.failing_checks))
        if verification.warning_checks:
            lines.append("checks with warnings: " + ", ".join(verification.warning_checks))
        errors = scan_error_lines(verification)
        lines.extend(f"error: {line}" for line in errors[:ERROR_LINES_SHOWN])
        if len(errors) > ERROR_LINES_SHOWN:
            lines.append(
                f"... and {len(errors) - ERROR_LINES_SHOWN} more error lines in the scan logs"
            )
    error = outcome_error(outcome)
    if error:
        lines.append(f"error: {error}")
    if outcome.hint:
        lines.append(f"hint: {outcome.hint}")
    return lines


def _what(outcome: DatasetOutcome) -> str:
    if outcome.status is Status.NOT_STARTED:
        return "not started"
    done = ", ".join(done_words(d) for d in outcome.done) or "nothing done"
    verification = outcome.verification
    if verification is not None and verification.check_paths:
        done += f" ({checked_words(verification.check_paths)})"
    if outcome.recoveries:
        done += " (" + "; ".join(recovery_words(r) for r in outcome.recoveries) + ")"
    return done if outcome.status is not Status.FAILED else f"{done}; failed"


def _closing(result: ApplyResult) -> list[str]:
    lines = [notice_words(notice) for notice in result.notices]
    failed = [d for d in result.datasets if d.status is Status.FAILED]
    to_fix = [d for d in failed if d.needs_fix]
    resumable = len(failed) - len(to_fix) + result.counts()[Status.NOT_STARTED]
    if resumable or result.interrupted:
        lines.append(
            "Re-running `reconciler apply` resumes: every completed step is recorded in the state."
        )
    if to_fix:
        count = len(to_fix)
        lines.append(
            f"{count} dataset{'s' if count != 1 else ''} failed for a reason a re-run meets "
            "again (rejected key or permission, a dataset Soda Cloud does not know, a contract "
            "it refuses): fix what the hint says first."
        )
    if result.calls:
        calls = ", ".join(f"{name} {count}" for name, count in result.calls.items())
        throttled = sum(result.throttled.values())
        lines.append(f"Soda Cloud calls: {calls}; answered 429: {throttled}")
    return lines


def render_text(result: ApplyResult) -> str:
    """The job log's report. Names, paths, scan addresses and Soda Cloud's messages are
    passed through :func:`printable`."""
    names = {d.dataset: printable(d.dataset) for d in result.datasets}
    width = max((len(name) for name in names.values()), default=0)
    lines = []
    for outcome in result.datasets:
        lines.append(
            f"{MARK[outcome.status]} {names[outcome.dataset]:<{width}}  {printable(_what(outcome))}"
        )
        lines.extend(f"    {printable(line)}" for line in _detail_lines(outcome))
    if lines:
        lines.append("")
    lines.append(summary_line(result))
    lines.extend(_closing(result))
    return "\n".join(lines) + "\n"


def render_markdown(result: ApplyResult) -> str:
    lines = [
        "### Soda contracts apply",
        "",
        f"**{summary_line(result)}** ({markdown(result.started)} to {markdown(result.finished)}, "
        f"{markdown(result.cloud_host)})",
        "",
        "| | dataset | result |",
        "| --- | --- | --- |",
    ]
    for outcome in result.datasets:
        lines.append(
            f"| {MARK[outcome.status]} | {code(outcome.dataset, in_table=True)} "
            f"| {markdown(_what(outcome))} |"
        )
    details = [o for o in result.datasets if _detail_lines(o)]
    if details:
        lines.append("")
        for outcome in details:
            lines.append(
                f"<details><summary>{html_code(outcome.dataset)}: {outcome.status.value}</summary>"
            )
            lines.append("")
            lines.extend(f"- {markdown(line)}" for line in _detail_lines(outcome))
            lines += ["", "</details>"]
    closing = _closing(result)
    if closing:
        lines.append("")
        lines.extend(closing)
    return "\n".join(lines) + "\n"


def render(result: ApplyResult, output_format: str) -> str:
    """The report in ``text``, ``markdown`` or ``json``."""
    if output_format == "json":
        return render_json(result)
    if output_format == "markdown":
        return render_markdown(result)
    return render_text(result)


def render_json(result: ApplyResult) -> str:
    return json_text(result.model_dump_json(indent=2)) + "\n"
