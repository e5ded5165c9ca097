"""``make bench``: the reconciler's own costs, each beside its floor measured in the same run,
written to ``benchmarks/RESULTS.md``.

    python -m benchmarks.figures [--out benchmarks/RESULTS.md] [--files 10000]
                                 [--apply-sizes 1000] [--repeats 3] [--before COMMIT]

Every figure but two is a whole process, as a person or CI runs it (the ``reconciler``
command), timed from start to exit: wall seconds, CPU seconds (user and system, workers
included) and peak memory, the median of ``--repeats`` runs after one to warm the parse
cache and the file system. The floors (``benchmarks/floors/``) are the least a program doing
the same job could cost: reading and hashing every file, the list calls a plan makes,
starting an interpreter that imports click and PyYAML, appending one line to a file
(measured by ``state_save``, alternating with the saves). The state save and the planner's time with every contract changed are measured inside a process
of their own (``state_save``, ``local_work``); the planner's beside the same measurement of
an earlier reconciler (``--before``, its ``reconciler/`` taken from git).

A full run takes a few minutes on a 2-CPU machine; it is never part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from benchmarks import bounds, corpus, ours
from benchmarks.served import ServedCloud
from reconciler import __version__
from reconciler.emulator import DEFAULT_API_KEY_ID, DEFAULT_API_KEY_SECRET, Durations

PYTHON = sys.executable
REPOSITORY = Path(__file__).resolve().parent.parent
SCAN_SECONDS = Durations().queuing + Durations().executing
APPLY_CHANGED = 50
APPLY_SCALE = 20.0
STATE_SIZES = (1_000, 10_000, 20_000)
BEGUN = time.perf_counter()


def say(text: str) -> None:
    print(f"[{time.perf_counter() - BEGUN:5.0f} s] {text}", flush=True)


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float
    peak_mib: float


@dataclass(frozen=True)
class Line:
    figure: str
    measured: str
    floor: str
    ratio: float | None
    target: str
    met: bool | None


def reconciler_command() -> list[str]:
    script = Path(PYTHON).with_name("reconciler")
    return [str(script)] if script.exists() else [PYTHON, "-m", "reconciler"]


def whole_process(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """One run of ``command``: its wall time, CPU time and peak memory, from the kernel,
    started from a small interpreter (``measure``)."""
    # The floors are modules of this folder, run from the project's folder. Bytecode is
    # written (by the warming run): an installed reconciler has it, as the floors' libraries
    # do, and a checkout run under PYTHONDONTWRITEBYTECODE would compile its own modules anew
    # every time.
    env = {**(env or os.environ), "PYTHONPATH": str(REPOSITORY)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run(
        [PYTHON, "-m", "benchmarks.measure", str(cwd), *command],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(done.stdout)
    if figures["code"] != 0:
        raise SystemExit(f"{' '.join(command)} exited {figures['code']}:\n{figures['errors']}")
    return Sample(figures["wall"], figures["cpu"], figures["peak_mib"])


def median(
    command: list[str], repeats: int, *, cwd: Path, env: dict[str, str] | None = None
) -> Sample:
    whole_process(command, cwd=cwd, env=env)  # warms the cache and the file system
    samples = [whole_process(command, cwd=cwd, env=env) for _ in range(repeats)]
    return Sample(
        statistics.median(s.wall for s in samples),
        statistics.median(s.cpu for s in samples),
        statistics.median(s.peak_mib for s in samples),
    )


def shown(sample: Sample) -> str:
    return f"{sample.wall:.3f} s wall, {sample.cpu:.3f} s CPU, {sample.peak_mib:.0f} MiB"


def ratio_line(
    figure: str, measured: Sample, floor: Sample, *, on: str, limit: float, floor_text: str = ""
) -> Line:
    value = getattr(measured, on) / getattr(floor, on)
    return Line(
        figure,
        shown(measured),
        floor_text or shown(floor),
        value,
        f"{on}: at most {limit:g}× the floor",
        value <= limit,
    )


# ---- the scenarios -----------------------------------------------------------------------


def project(root: Path, files: dict[str, str], cloud: str | None = None) -> Path:
    corpus.write_folder(root / "contracts", files)
    config = "contracts: contracts\nstate: state.json\n"
    if cloud is not None:
        config += f"cloud:\n  host: {cloud}\n"
    (root / "reconciler.yml").write_text(config, encoding="utf-8")
    return root


def start_up(work: Path, repeats: int) -> list[Line]:
    say("start-up: --version, validate of one file, beside an interpreter importing click, yaml")
    one = project(work / "one", corpus.contracts(1))
    command = reconciler_command()
    floor = median([PYTHON, "-m", "benchmarks.floors.imports", "click", "yaml"], repeats, cwd=one)
    wide = median(
        [PYTHON, "-m", "benchmarks.floors.imports", "yaml", "pydantic", "httpx", "click"],
        repeats,
        cwd=one,
    )
    version = median([*command, "--version"], repeats, cwd=one)
    validate = median([*command, "validate"], repeats, cwd=one)
    cold = median([*command, "validate", "--no-cache"], repeats, cwd=one)
    floor_text = f"{shown(floor)} (importing yaml, pydantic, httpx and click: {shown(wide)})"
    return [
        ratio_line("`reconciler --version`", version, floor, on="wall", limit=1.5),
        ratio_line(
            "`reconciler validate` of one file, cache warm",
            validate,
            floor,
            on="wall",
            limit=1.5,
            floor_text=floor_text,
        ),
        Line(
            "`reconciler validate --no-cache` of one file",
            shown(cold),
            shown(floor),
            cold.wall / floor.wall,
            "(for comparison)",
            None,
        ),
    ]


def folder_figures(work: Path, count: int, repeats: int) -> tuple[list[Line], Path, Sample]:
    say(f"re-validate: {count:,} files, beside reading and hashing each")
    root = project(work / "folder", corpus.contracts(count))
    command = reconciler_command()
    sha = median(
        [PYTHON, "-m", "benchmarks.floors.sha_folder", str(root / "contracts")], repeats, cwd=root
    )
    cold = whole_process([*command, "validate", "--no-cache"], cwd=root)
    warm = median([*command, "validate"], repeats, cwd=root)
    lines = [
        ratio_line(
            f"re-validate an unchanged {count:,}-file folder", warm, sha, on="wall", limit=3
        ),
        Line(
            f"validate {count:,} files, `--no-cache`",
            shown(cold),
            shown(sha),
            cold.wall / sha.wall,
            "(for comparison)",
            None,
        ),
    ]
    return lines, root, sha


def steady_plan(work: Path, root: Path, sha: Sample, count: int, repeats: int) -> list[Line]:
    say(f"steady plan: {count:,} contracts equal in Soda Cloud, a state recording them")
    files = {
        path.relative_to(root / "contracts").with_suffix("").as_posix(): path.read_text("utf-8")
        for path in sorted((root / "contracts").rglob("*.yml"))
    }
    seed = work / "seed.json"
    corpus.write_seed(seed, files)
    with ServedCloud(seed, time_scale=1.0) as cloud:
        ours.apply(root / "contracts", root / "state.json", cloud.settings())  # adopts all
        project(root, {}, cloud.url)
        env = {
            **os.environ,
            "SODA_CLOUD_API_KEY_ID": DEFAULT_API_KEY_ID,
            "SODA_CLOUD_API_KEY_SECRET": DEFAULT_API_KEY_SECRET,
            "RECONCILER_TIME_SCALE": "1",
        }
        listing = median(
            [
                PYTHON,
                "-m",
                "benchmarks.floors.list_calls",
                cloud.url,
                DEFAULT_API_KEY_ID,
                DEFAULT_API_KEY_SECRET,
            ],
            repeats,
            cwd=root,
        )
        command = [*reconciler_command(), "plan"]
        cold = whole_process([*command, "--no-cache"], cwd=root, env=env)
        warm = median(command, repeats, cwd=root, env=env)
    floor = Sample(sha.wall + listing.wall, sha.cpu + listing.cpu, max(sha.peak_mib, 0))
    floor_text = f"sha256 of every file: {shown(sha)}; the list calls, decoded: {shown(listing)}"
    lines = [
        ratio_line(
            f"steady plan of {count:,} files (CPU)",
            warm,
            floor,
            on="cpu",
            limit=4,
            floor_text=floor_text,
        ),
        Line(
            f"steady plan of {count:,} files (peak memory)",
            f"{warm.peak_mib:.0f} MiB",
            "",
            None,
            "under 150 MiB",
            warm.peak_mib < 150,
        ),
        Line(
            f"steady plan of {count:,} files, `--no-cache`",
            shown(cold),
            floor_text,
            cold.cpu / floor.cpu,
            "(for comparison)",
            None,
        ),
    ]
    return lines


def all_changed(work: Path, root: Path, before: str) -> list[Line]:
    say(f"plan where every contract changed: the planner alone, here and at {before}")
    now = planner_figures(root, REPOSITORY)
    earlier = work / "before"
    earlier.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPOSITORY), "archive", before, "reconciler"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(earlier)], input=archive, check=True)
    then = planner_figures(root, earlier)
    seconds, was = float(now["seconds"]), float(then["seconds"])
    return [
        Line(
            f"plan where all {now['files']:,} contracts changed (`make_plan`)",
            f"{seconds:.2f} s, {now['peak_mib']:.0f} MiB",
            f"{was:.2f} s, {then['peak_mib']:.0f} MiB: the same at {before} (before the diff "
            "reused Soda Cloud's parse)",
            seconds / was,
            "at most 0.5× the time before",
            seconds <= was / 2,
        )
    ]


def planner_figures(root: Path, package: Path) -> dict[str, float]:
    """``local_work plan-changed`` with the reconciler of ``package`` (its folder holding
    ``reconciler/``), the benchmark's own code from this folder."""
    done = subprocess.run(
        [PYTHON, "-m", "benchmarks.local_work", "plan-changed", str(root / "contracts")],
        cwd=package,  # first on the path: its reconciler package
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"plan-changed failed:\n{done.stderr}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def state_saves(work: Path) -> list[Line]:
    """``state_save``'s measurement: one change made durable through the journal, each
    alternating with its floor (a line of the same size appended and fsynced)."""
    from benchmarks.state_save import saves

    say("one state save during apply, N = " + ", ".join(f"{n:,}" for n in STATE_SIZES))
    folder = work / "state-saves"
    folder.mkdir()
    measured = {n: saves(n, folder, journaled=True) for n in STATE_SIZES}
    lines = [
        Line(
            f"one state save during apply, N = {count:,}",
            f"{one.wall:.2f} ms wall, {one.cpu:.2f} ms CPU",
            f"{one.floor:.2f} ms (a line of the same size appended and fsynced)",
            one.ratio,
            "the same at every N",
            None,
        )
        for count, one in measured.items()
    ]
    small, large = measured[STATE_SIZES[0]], measured[STATE_SIZES[-1]]
    spread = large.ratio / small.ratio
    lines.append(
        Line(
            f"state save at N = {STATE_SIZES[-1]:,} ÷ at N = {STATE_SIZES[0]:,} (each beside "
            "its floor)",
            f"{spread:.2f}×",
            "1×",
            spread,
            "at most 1.25× (the same cost)",
            spread <= 1.25,
        )
    )
    return lines


def applies(work: Path, sizes: list[int]) -> list[Line]:
    lines: list[Line] = []
    for count in sizes:
        say(f"apply K = {APPLY_CHANGED} of {count:,} at time scale {APPLY_SCALE:g}")
        files = corpus.contracts(count)
        root = work / f"apply-{count}"
        corpus.write_folder(root / "contracts", files)
        seed = root / "seed.json"
        corpus.write_seed(seed, files)
        names = corpus.pick(list(files), APPLY_CHANGED, seed=APPLY_CHANGED)
        with ServedCloud(seed, time_scale=APPLY_SCALE) as cloud:
            ours.apply(root / "contracts", root / "state.json", cloud.settings())  # adopts all
            corpus.write_folder(root / "contracts", {n: corpus.changed(files[n]) for n in names})
            run = ours.apply(root / "contracts", root / "state.json", cloud.settings())
        if run.result is None or run.result.exit_code != 0:
            raise SystemExit(f"apply of {count:,} failed: {run.result}")
        seconds = run.local_seconds + run.cloud_seconds
        bound = bounds.apply(APPLY_CHANGED, count, SCAN_SECONDS)
        value = seconds / bound.seconds
        lines.append(
            Line(
                f"apply K = {APPLY_CHANGED} at time scale {APPLY_SCALE:g}, N = {count:,}",
                f"{seconds / 60:.2f} min (Soda Cloud's time)",
                f"{bound.seconds / 60:.2f} min: {bound.reason}",
                value,
                "at most 1.05× the bound",
                value <= 1.05,
            )
        )
    return lines


# ---- the report --------------------------------------------------------------------------


def render(lines: list[Line], facts: dict[str, str]) -> str:
    out = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks.figures`); each figure beside its floor,",
        "measured in the same run (`benchmarks/floors/`). Whole processes unless said; medians.",
        "The rate-limited Soda Cloud scenarios are in [CLOUD.md](CLOUD.md) (`make bench-cloud`).",
        "",
        *(f"- {name}: {value}" for name, value in facts.items()),
        "",
        "| figure | measured | floor | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for line in lines:
        ratio = "" if line.ratio is None else f"{line.ratio:.2f}×"
        met = "" if line.met is None else ("yes" if line.met else "**no**")
        out.append(
            f"| {line.figure} | {line.measured} | {line.floor} | {ratio} | {line.target} | {met} |"
        )
    return "\n".join(out) + "\n"


def machine() -> dict[str, str]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}",
        "reconciler": f"{__version__} (commit {commit})",
        "load average at the start": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--apply-sizes", default="1000")
    # The reconciler the planner's time is compared with: main before the diff reused
    # Soda Cloud's parse and compared values without serialising them.
    parser.add_argument("--before", default="2734926")
    args = parser.parse_args(argv)
    facts = machine()
    lines: list[Line] = []
    with tempfile.TemporaryDirectory(prefix="bench-figures-") as temporary:
        work = Path(temporary)
        lines += start_up(work, max(5, args.repeats))
        folder_lines, root, sha = folder_figures(work, args.files, args.repeats)
        lines += folder_lines
        lines += steady_plan(work, root, sha, args.files, args.repeats)
        lines += all_changed(work, root, args.before)
        lines += state_saves(work)
        lines += applies(work, [int(n) for n in args.apply_sizes.split(",") if n])
    facts["took"] = f"{time.perf_counter() - BEGUN:.0f} s"
    args.out.write_text(render(lines, facts), encoding="utf-8")
    say(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
