"""``make bench-cloud``: every scenario against a local Soda Cloud with the documented rate limits,
the reconciler beside the by-hand baseline and the bound, written to ``benchmarks/CLOUD.md``.

    python -m benchmarks.run [--out benchmarks/CLOUD.md]

Each run gets a fresh local Soda Cloud (``reconciler emulator serve`` in its own process),
seeded with the scenario's contracts. Time scales are chosen per run so that the whole
finishes in minutes while real work (request latency, parsing) stays small beside the waits
it is multiplied with; see the README.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks import bounds, corpus, ours
from benchmarks.baseline import PAGE_SIZE, ByHand
from benchmarks.local_work import LocalFigures, measure
from benchmarks.report import Figures, Row, Run, minutes, render
from benchmarks.served import ServedCloud, requests_between
from reconciler import __version__
from reconciler.emulator import Durations, Stats

PLAN_SIZES = (1_000, 10_000)
COLD_PLAN_SIZES = (10_000,)
PLAN_SCALE = 1.0  # a plan never waits on a limit: real time, undistorted
BASELINE_PLAN_SCALE = 60.0
BASELINE_PLAN_SAMPLE = {1_000: 30, 10_000: 6}
APPLY_CONTRACTS = 1_000
APPLY_SCALES = {10: 1.0, 50: 5.0, 200: 20.0}  # changed contracts: time scale
BASELINE_APPLY_SCALE = 20.0
BASELINE_APPLY_SAMPLE = {200: 100}  # changed contracts: files measured
SCAN_SECONDS = Durations().queuing + Durations().executing
LOCAL_FILES = 10_000


BEGUN = time.perf_counter()


def say(text: str) -> None:
    print(f"[{time.perf_counter() - BEGUN:5.0f} s] {text}", flush=True)


# ---- the reconciler -----------------------------------------------------------------------


def measured(cloud: ServedCloud, run: ours.Run, before: Stats) -> Figures:
    calls, throttled = requests_between(before, cloud.admin.stats())
    if run.result is not None and run.result.exit_code != 0:
        raise SystemExit(f"apply failed (exit {run.result.exit_code}): {run.result}")
    return Figures(
        seconds=run.local_seconds + run.cloud_seconds,
        calls=dict(calls),
        throttled=throttled,
        time_scale=cloud.time_scale,
        local_seconds=run.local_seconds,
    )


def adopt(cloud: ServedCloud, folder: Path, state: Path) -> None:
    """Apply an unchanged folder: the state then records every contract (not measured)."""
    result = ours.apply(folder, state, cloud.settings()).result
    if result is None or result.exit_code != 0:
        raise SystemExit(f"adopting {folder} failed: {result}")


def our_plans(seed: Path, folder: Path, contracts: int) -> dict[str, Figures]:
    """Cold (no state) and steady (state recording everything) plans of an unchanged folder."""
    state = folder.parent / "state.json"
    figures: dict[str, Figures] = {}
    with ServedCloud(seed, time_scale=PLAN_SCALE) as cloud:
        if contracts in COLD_PLAN_SIZES:
            before = cloud.admin.stats()
            figures["cold"] = measured(cloud, ours.plan(folder, state, cloud.settings()), before)
        adopt(cloud, folder, state)
        before = cloud.admin.stats()
        figures["steady"] = measured(cloud, ours.plan(folder, state, cloud.settings()), before)
    return figures


def our_apply(seed: Path, folder: Path, changes: dict[str, str], scale: float) -> Figures:
    state = folder.parent / "state.json"
    with ServedCloud(seed, time_scale=scale) as cloud:
        adopt(cloud, folder, state)
        corpus.write_folder(folder, changes)
        before = cloud.admin.stats()
        return measured(cloud, ours.apply(folder, state, cloud.settings()), before)


# ---- the baseline -------------------------------------------------------------------------


def baseline_apply(seed: Path, changes: dict[str, str]) -> Figures:
    """Every changed file, one after the other; for large K a random sample of them, the rest
    estimated from the sample's average per file (each file is independent of the others)."""
    names = list(changes)
    size = BASELINE_APPLY_SAMPLE.get(len(names), len(names))
    sample = corpus.pick(names, size, seed=size) if size < len(names) else names
    with (
        ServedCloud(seed, time_scale=BASELINE_APPLY_SCALE) as cloud,
        ByHand(cloud.url, cloud.auth, time_scale=BASELINE_APPLY_SCALE) as hand,
    ):
        for name in sample:
            state = hand.publish(name, changes[name])
            if state != "completed":
                raise SystemExit(f"the baseline's verification of {name} ended {state}")
    tally = hand.tally
    if size == len(names):
        return Figures(tally.seconds, dict(tally.calls), tally.throttled, BASELINE_APPLY_SCALE)
    factor = len(names) / size
    how = (
        f"{size} of the {len(names)} changed files (drawn at random) measured: "
        f"{sum(tally.calls.values()):,} calls, {tally.throttled} answered 429, "
        f"{minutes(tally.seconds)}; time and calls are that sample's per-file average × "
        f"{len(names)}"
    )
    return Figures(
        tally.seconds * factor,
        {endpoint: round(count * factor) for endpoint, count in tally.calls.items()},
        round(tally.throttled * factor),
        BASELINE_APPLY_SCALE,
        estimate=how,
    )


def lookups(positions: list[int]) -> int:
    """List calls to find contracts at these positions, paging from the first page."""
    return sum(position // PAGE_SIZE + 1 for position in positions)


def paced(successful: int, per_call: float) -> tuple[float, int, int]:
    """Back-to-back list calls at 60 a minute, waiting 60 s after each 429: the first 60 go
    at once, the 61st is refused, and after the pause the window is empty again.
    Returns (seconds, requests, refusals)."""
    refusals = max(0, math.ceil(successful / bounds.LIMITS[bounds.LIST]) - 1)
    requests = successful + refusals
    return refusals * bounds.WINDOW + requests * per_call, requests, refusals


def baseline_plan(seed: Path, files: dict[str, str]) -> Figures:
    """A plan by hand: every file looked up and compared. Measured on a sample, estimated for
    all (the whole would take hours to days), with the same rule checked on the sample."""
    names = list(files)
    size = BASELINE_PLAN_SAMPLE[len(names)]
    sample = corpus.pick(names, size, seed=size)
    with (
        ServedCloud(seed, time_scale=BASELINE_PLAN_SCALE) as cloud,
        ByHand(cloud.url, cloud.auth, time_scale=BASELINE_PLAN_SCALE) as hand,
    ):
        for name in sample:
            if not hand.check(name, files[name]):
                raise SystemExit(f"the baseline found {name} different from git")
    tally = hand.tally
    per_call = tally.busy / max(1, sum(tally.calls.values()))
    index = {name: i for i, name in enumerate(names)}
    predicted, _, _ = paced(lookups([index[n] for n in sample]), per_call)
    successful = lookups(list(range(len(names))))
    seconds, requests, refusals = paced(successful, per_call)
    how = (
        f"{size} of {len(names):,} files measured: {sum(tally.calls.values()):,} calls, "
        f"{tally.throttled} answered 429, {minutes(tally.seconds)} (the rule below predicts "
        f"{minutes(predicted)} for them). All files: {successful:,} list calls to find them "
        f"(file i pages through i // {PAGE_SIZE} + 1 pages), a 429 and a 60 s pause after "
        f"every 60: {refusals:,} pauses; time = pauses × 60 s + {requests:,} calls × "
        f"{per_call * 1000:.1f} ms (measured per call)"
    )
    return Figures(
        seconds,
        {bounds.LIST: requests},
        refusals,
        BASELINE_PLAN_SCALE,
        estimate=how,
    )


# ---- the run ------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    def first(path: str, key: str) -> str:
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "unknown"

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{first('/proc/cpuinfo', 'model name')}, {os.cpu_count()} CPUs, "
        f"{first('/proc/meminfo', 'MemTotal')} memory",
        "system": f"{platform.platform()}, Python {platform.python_version()}",
        "reconciler": f"{__version__} (commit {commit})",
        "load average at the start": ", ".join(f"{value:.2f}" for value in load),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("CLOUD.md"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    facts = machine()
    rows: list[Row] = []
    local: list[LocalFigures] = []
    with tempfile.TemporaryDirectory(prefix="reconciler-bench-") as temporary:
        work = Path(temporary)
        for size in PLAN_SIZES:
            files = corpus.contracts(size)
            seed, folder = work / f"seed-{size}.json", work / f"plan-{size}" / "contracts"
            corpus.write_seed(seed, files)
            corpus.write_folder(folder, files)
            say(f"plan of {size:,} contracts: the reconciler")
            plans = our_plans(seed, folder, size)
            say(f"plan of {size:,} contracts: the baseline, on a sample")
            by_hand = baseline_plan(seed, files)
            rows.append(
                Row(
                    f"plan, steady state, N = {size:,}", plans["steady"], by_hand, bounds.plan(size)
                )
            )
            if "cold" in plans:
                rows.append(
                    Row(
                        f"plan, cold (no state file), N = {size:,}",
                        plans["cold"],
                        by_hand,
                        bounds.plan(size),
                    )
                )
            if size == LOCAL_FILES:
                say(f"local work: validate and plan {size:,} contracts")
                local = [measure("validate", folder), measure("plan", folder)]

        files = corpus.contracts(APPLY_CONTRACTS)
        seed = work / f"seed-{APPLY_CONTRACTS}.json"
        for changed, scale in APPLY_SCALES.items():
            names = corpus.pick(list(files), changed, seed=changed)
            changes = {name: corpus.changed(files[name]) for name in names}
            folder = work / f"apply-{changed}" / "contracts"
            corpus.write_folder(folder, files)
            say(f"apply of {changed} changed contracts: the reconciler (time scale {scale:g})")
            mine = our_apply(seed, folder, changes, scale)
            say(f"apply of {changed} changed contracts: the baseline")
            by_hand = baseline_apply(seed, changes)
            rows.append(
                Row(
                    f"apply, K = {changed} changed of {APPLY_CONTRACTS:,}, verified",
                    mine,
                    by_hand,
                    bounds.apply(changed, APPLY_CONTRACTS, SCAN_SECONDS),
                )
            )

    text = render(
        Run(
            machine=facts,
            rows=rows,
            local=local,
            notes=NOTES,
            bench_seconds=time.perf_counter() - started,
        )
    )
    args.out.write_text(text, encoding="utf-8")
    say(text)
    return 0


NOTES = (
    "Every contract is a generated one of 20 columns (about 1.9 KB of YAML); a changed one has "
    "its row-count threshold raised (a tightened check: published and verified).",
    "The reconciler runs through the functions `reconciler plan` and `reconciler apply` call; "
    "its time is the real seconds spent reading the folder plus the clock seconds spent with "
    "Soda Cloud. A time scale multiplies its real work (latency, parsing) into clock seconds, so "
    "a scaled figure can only be too high, never too low; the scales are kept low enough for "
    "that to stay small.",
    "The baseline's time is its waits in clock seconds plus the real seconds it was busy, so "
    "its calls' latency is not multiplied by the scale.",
    f"Scans take {SCAN_SECONDS:g} clock seconds (the local Soda Cloud's default: queuing, then "
    "executing). The apply scenarios have 1,000 contracts in Soda Cloud and in git, with a state "
    "recording them, before K of them change.",
    "A plan by hand has no state: its steady-state and cold figures are the same work.",
)


if __name__ == "__main__":
    sys.exit(main())
