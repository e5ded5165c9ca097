"""CLOUD.md: the figures of one ``make bench-cloud`` run, as markdown. Pure: figures in, text out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from benchmarks.bounds import Bound
from benchmarks.local_work import LocalFigures

SHORT = {
    "GET /api/v1/contracts": "list",
    "POST /api/v1/contracts": "create",
    "POST /api/v1/contracts/{contractId}": "publish",
    "POST /api/v1/contracts/{contractId}/verify": "verify",
    "GET /api/v1/scans/{scanId}": "scan status",
    "GET /api/v1/contracts/{contractId}/versions": "versions",
}


@dataclass(frozen=True)
class Figures:
    """One run's figures; ``seconds`` is real time against Soda Cloud's real limits."""

    seconds: float
    calls: Mapping[str, int]
    throttled: int
    time_scale: float
    local_seconds: float = 0.0  # of ``seconds``: reading the folder (real seconds)
    estimate: str | None = None  # how the figures were extrapolated, when they were

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


@dataclass(frozen=True)
class Row:
    scenario: str
    ours: Figures
    baseline: Figures
    bound: Bound


@dataclass(frozen=True)
class Run:
    machine: Mapping[str, str]
    rows: Sequence[Row]
    local: Sequence[LocalFigures]
    notes: Sequence[str] = field(default_factory=tuple)
    bench_seconds: float = 0.0


def minutes(seconds: float) -> str:
    if seconds <= 0:
        return "0 (no wait)"
    if seconds >= 6000:
        return f"{seconds / 60:,.0f} min ({seconds / 3600:,.0f} h)"
    if seconds >= 60:
        return f"{seconds / 60:.2f} min"
    return f"{seconds / 60:.3f} min ({seconds:.1f} s)"


def ratio(value: float, bound: float) -> str:
    if bound <= 0:
        return "n/a"
    return f"{value / bound:,.2f}×"


def endpoints(calls: Mapping[str, int]) -> str:
    shown = [f"{SHORT.get(k, k)} {v:,}" for k, v in sorted(calls.items(), key=lambda kv: -kv[1])]
    return ", ".join(shown) or "none"


def _targets(rows: Sequence[Row]) -> list[str]:
    """The apply target: within 10% of the bound, and no 429."""
    timed = [row for row in rows if row.bound.seconds > 0]
    if not timed:
        return []
    lines = ["## Target: applies within 10% of the bound, with no 429", ""]
    for row in timed:
        ours, bound = row.ours, row.bound.seconds
        overall = ours.seconds / bound
        cloud = (ours.seconds - ours.local_seconds) / bound
        met = overall <= 1.10 and ours.throttled == 0
        lines.append(
            f"- {row.scenario}: {'met' if met else 'not met'}: {overall:.3f}× the bound "
            f"({cloud:.3f}× for the time spent with Soda Cloud, leaving out the "
            f"{ours.local_seconds:.1f} s of reading the folder), {ours.throttled} answered 429; "
            f"{ours.seconds / row.bound.rule_of_thumb:.3f}× the design document's "
            f"max(K/100, K/10) minutes + scan time ({minutes(row.bound.rule_of_thumb)})"
        )
    return [*lines, ""]


def render(run: Run) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench-cloud` (`python -m benchmarks.run`); see `benchmarks/README.md` for what",
        "each scenario does and how the bounds are computed. Times are real-time minutes against",
        "Soda Cloud's documented rate limits: runs against a time-scaled local Soda Cloud are",
        "scaled back (clock seconds / 60).",
        "",
        *[f"- {key}: {value}" for key, value in run.machine.items()],
        "",
        "## Soda Cloud scenarios",
        "",
        "| scenario | reconciler: time | calls | 429s | baseline: time | calls | 429s "
        "| bound: time | calls | reconciler ÷ bound (time; calls) "
        "| baseline ÷ bound (time; calls) | baseline ÷ reconciler (time) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in run.rows:
        ours, base, bound = row.ours, row.baseline, row.bound
        approx = "≈ " if base.estimate else ""
        lines.append(
            f"| {row.scenario} | {minutes(ours.seconds)} | {ours.total_calls:,} | {ours.throttled} "
            f"| {approx}{minutes(base.seconds)} | {approx}{base.total_calls:,} "
            f"| {approx}{base.throttled:,} "
            f"| {minutes(bound.seconds)} | {bound.calls:,} "
            f"| {ratio(ours.seconds, bound.seconds)}; {ratio(ours.total_calls, bound.calls)} "
            f"| {approx}{ratio(base.seconds, bound.seconds)}; "
            f"{ratio(base.total_calls, bound.calls)} "
            f"| {approx}{ratio(base.seconds, ours.seconds)} |"
        )
    lines += [
        "",
        "≈: the baseline's figures for that row are estimated from a measured sample (below).",
        "",
        *_targets(run.rows),
        "## Calls by endpoint, time scale, and the bound",
        "",
        "| scenario | reconciler | baseline | bound |",
        "|---|---|---|---|",
    ]
    for row in run.rows:
        ours, base = row.ours, row.baseline
        local = (
            f"; of its time, {ours.local_seconds:.1f} s reading the folder"
            if ours.local_seconds
            else ""
        )
        lines.append(
            f"| {row.scenario} | {endpoints(ours.calls)} (time scale {ours.time_scale:g}{local}) "
            f"| {endpoints(base.calls)} (time scale {base.time_scale:g}) | {row.bound.reason} |"
        )
    estimates = [(row.scenario, row.baseline.estimate) for row in run.rows if row.baseline.estimate]
    if estimates:
        lines += ["", "## Estimated baseline figures", ""]
        lines += [f"- {scenario}: {how}" for scenario, how in estimates]
    lines += [
        "",
        "## Local work only (no network)",
        "",
        "| what | files | seconds | peak memory (process) | peak memory (largest worker) |",
        "|---|---|---|---|---|",
    ]
    for figures in run.local:
        lines.append(
            f"| {figures.what} | {figures.files:,} | {figures.seconds:.2f} "
            f"| {figures.peak_mib:.0f} MiB | {figures.workers_peak_mib:.0f} MiB |"
        )
    if run.notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {note}" for note in run.notes]
    lines += ["", f"The whole run took {run.bench_seconds / 60:.1f} minutes.", ""]
    return "\n".join(lines)
