"""Local work only, no network: validating and planning 10,000 contracts, time and memory.

    python -m benchmarks.local_work validate DIR
    python -m benchmarks.local_work plan DIR
    python -m benchmarks.local_work plan-changed DIR

Each measurement runs in a fresh process (``measure``) so its peak memory is its own:
- validate: :func:`reconciler.desired.load_desired`, what ``reconciler validate`` runs;
- plan: reading the folder, loading a state that records every contract, and the pure
  planner against a Soda Cloud equal to git; only the HTTP calls are left out (the
  contracts they would return are built before the clock starts);
- plan-changed: the same where Soda Cloud and the state hold another version of every
  contract (its row-count threshold lower), so every dataset is compared and diffed; the
  seconds are those of the planner alone (``make_plan``). It uses nothing newer than the
  planner's own interface, so that ``make bench`` can run it over an earlier reconciler too.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.corpus import ROW_COUNT
from reconciler.cloud.dto import Contract
from reconciler.contract.fingerprint import raw_sha256
from reconciler.contract.parse import parse_contract_text
from reconciler.desired import load_desired
from reconciler.observed import ObservedState
from reconciler.plan import PlanSettings
from reconciler.plan.planner import PlanContext, make_plan
from reconciler.state import DatasetRecord, StateFile, StateStore

LAST_UPDATED = "2026-01-01T00:00:00.000Z"


@dataclass(frozen=True)
class LocalFigures:
    what: str
    files: int
    seconds: float
    peak_mib: float  # the measuring process
    workers_peak_mib: float  # the largest worker process it started (0: none)


def measure(what: str, folder: Path) -> LocalFigures:
    """Run one measurement in its own process."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.local_work", what, str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"measuring {what} failed:\n{done.stderr}")
    return LocalFigures(**json.loads(done.stdout.strip().splitlines()[-1]))


def _validate(folder: Path) -> tuple[int, float]:
    started = time.perf_counter()
    desired = load_desired(folder)
    seconds = time.perf_counter() - started
    if not desired.ok:
        raise SystemExit(f"{folder}: {desired.error_count} errors")
    return len(desired.contracts), seconds


def _plan(folder: Path, *, changed: bool = False) -> tuple[int, float]:
    # Setup, not timed: what Soda Cloud would list, and a state file recording all of it.
    desired = load_desired(folder)
    contracts = {
        name: Contract(
            id=f"contract-{index}",
            dataset_id=f"dataset-{index}",
            dataset_qualified_name=name,
            contents=_older(file.raw_text) if changed else file.raw_text,
            last_updated=LAST_UPDATED,
        )
        for index, (name, file) in enumerate(desired.contracts.items())
    }
    applied = datetime.now(timezone.utc)
    state = StateFile.new().with_datasets(
        {
            name: DatasetRecord(
                applied_at=applied,
                contract_id=contracts[name].id,
                dataset_id=contracts[name].dataset_id or "",
                last_updated=LAST_UPDATED,
                raw_sha256=raw_sha256(contracts[name].contents or ""),
                semantic_fingerprint=parse_contract_text(
                    contracts[name].contents or "", name
                ).semantic_fingerprint
                or "",
            )
            for name, file in desired.contracts.items()
        }
    )
    store = StateStore(Path(tempfile.mkdtemp(prefix="local-work-")) / "state.json")
    with store.lock("benchmark"):
        store.save(state)
    del desired, state
    context = PlanContext(
        created=applied.isoformat(),
        reconciler_version="benchmark",
        contracts_dir=str(folder),
        cloud_host="local",
        state_path=str(store.path),
    )

    started = time.perf_counter()
    desired = load_desired(folder)
    loaded = StateStore(store.path).load()
    if changed:
        started = time.perf_counter()
    made = make_plan(
        desired,
        ObservedState(contracts=contracts),
        loaded,
        settings=PlanSettings(),
        context=context,
    )
    seconds = time.perf_counter() - started
    if made.summary().has_changes is not changed:
        raise SystemExit(f"the plan has changes: {made.summary().has_changes}, not {changed}")
    return len(made.datasets), seconds


def _older(text: str) -> str:
    return text.replace(ROW_COUNT, "        must_be_greater_than: -1\n", 1)


def _peak_mib() -> float:
    """This process's peak resident memory. ``VmHWM`` starts afresh at exec, unlike
    ``ru_maxrss``, which keeps the peak of the process that started this one."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("what", choices=["validate", "plan", "plan-changed"])
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    if args.what == "validate":
        files, seconds = _validate(args.folder)
    else:
        files, seconds = _plan(args.folder, changed=args.what == "plan-changed")
    own = _peak_mib()
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    figures = LocalFigures(args.what, files, seconds, own, workers)
    print(json.dumps(figures.__dict__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
