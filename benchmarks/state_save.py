"""One state save during apply, at N = 1,000, 10,000 and 20,000 datasets, beside its floor;
and optionally an apply of K = 50 at time scale 20 among 20,000 contracts, beside its bound.

    python -m benchmarks.state_save [--sizes 1000,10000,20000] [--apply]

A *state save* is what apply waits for after each change in Soda Cloud: the change durable
(``Journal.record``, awaited alone, so each is its own write). It is measured through the
journal a local state keeps, and through the whole-state save a state manager without a
journal gets (what every save cost before the journal). The floor is the least a durable
change can cost: one line of the same size appended to a file and fsynced. Printed: medians
in milliseconds, each save's ratio to the floor, and the ratio of the save at the largest N
to the save at the smallest (the target: 1, the same whatever the size).

``--apply`` runs the scenario of ``make bench`` (an apply that publishes and verifies K
changed contracts, through the functions ``reconciler apply`` calls) with N = 20,000 and
prints its ratio to the rate-limit bound (target: at most 1.05).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks import ours
from reconciler.cloud.settings import CloudSettings
from reconciler.state import DatasetRecord, Journal, StateFile, StateManager, StateStore
from reconciler.state.changes import Change, JournalLine, encode_line

SIZES = (1_000, 10_000, 20_000)
SAVES = 40
APPLIED_AT = datetime(2026, 3, 1, 12, 30, tzinfo=timezone.utc)
APPLY_CONTRACTS = 20_000
APPLY_CHANGED = 50
APPLY_SCALE = 20.0


def dataset(n: int) -> str:
    return f"warehouse/analytics/schema_{n % 50}/table_{n}"


def record(n: int, version: str = "v1") -> DatasetRecord:
    digest = hashlib.sha256(f"{n}:{version}".encode()).hexdigest()
    return DatasetRecord(
        applied_at=APPLIED_AT,
        checksum=digest[:32],
        contract_id=f"contract-{n}",
        dataset_id=f"dataset-{n}",
        last_updated="2026-03-01T12:29:59.123Z",
        raw_sha256=digest,
        semantic_fingerprint=digest[::-1],
        version_id=f"{version}-{n}",
    )


class WholeState:
    """The local state as a manager that keeps no journal sees it: a whole save per change."""

    def __init__(self, store: StateStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        if name == "open_journal":
            raise AttributeError(name)
        return getattr(self._store, name)


def _median_ms(timings: Sequence[float]) -> float:
    return statistics.median(timings) * 1000


@dataclass(frozen=True)
class Saves:
    """Medians, in milliseconds, of one change made durable and, measured between them, of
    the floor."""

    wall: float
    cpu: float  # of the whole process: encoding, copying, the write's system calls
    floor: float

    @property
    def ratio(self) -> float:
        return self.wall / self.floor


def saves(size: int, folder: Path, *, journaled: bool) -> Saves:
    """One change at a time made durable, with a state of ``size`` datasets; each alternates
    with an append of the floor, so that both see the same disk."""
    store = StateStore(folder / f"state-{size}-{journaled}.json")
    manager: StateManager = store if journaled else WholeState(store)
    with store.lock("measure"):
        store.save(StateFile.new().with_datasets({dataset(n): record(n) for n in range(size)}))
        return asyncio.run(_alternating(Journal(manager, store.load()), folder / "floor"))


async def _alternating(journal: Journal, floor_path: Path) -> Saves:
    line = encode_line(
        JournalLine(change=Change(records={dataset(1): record(1)}), extends=1, lineage="x" * 36)
    )
    fd = os.open(floor_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    wall, cpu, floor = [], [], []
    try:
        for n in range(SAVES + 1):
            started = time.perf_counter()
            os.write(fd, line)
            os.fsync(fd)
            floor.append(time.perf_counter() - started)
            started, cpu_started = time.perf_counter(), time.process_time()
            await journal.record(dataset(n), record(n, "v2"))
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
    finally:
        os.close(fd)
    await journal.compact()
    # The first change opens the journal.
    return Saves(_median_ms(wall[1:]), _median_ms(cpu[1:]), _median_ms(floor[1:]))


def state_saves(sizes: Sequence[int]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        journaled = {size: saves(size, folder, journaled=True) for size in sizes}
        whole = {size: saves(size, folder, journaled=False) for size in sizes}
    for size in sizes:
        mine, theirs = journaled[size], whole[size]
        print(
            f"N = {size:>6,}: journal {mine.wall:6.2f} ms, CPU {mine.cpu:5.2f} ms, "
            f"{mine.ratio:4.2f}× the floor ({mine.floor:.2f} ms); whole state "
            f"{theirs.wall:7.2f} ms, CPU {theirs.cpu:6.2f} ms, {theirs.ratio:5.1f}× the floor"
        )
    small, large = min(sizes), max(sizes)
    print(
        f"save at N = {large:,} ÷ save at N = {small:,} (each as a multiple of its floor): "
        f"journal {journaled[large].ratio / journaled[small].ratio:.2f}× (target 1), CPU "
        f"{journaled[large].cpu / journaled[small].cpu:.2f}×; whole state "
        f"{whole[large].ratio / whole[small].ratio:.2f}×"
    )


def apply_beside_bound(*, journaled: bool) -> None:
    """The apply of ``make bench`` among 20,000 contracts: the whole (reading the folder,
    planning, applying) and the applying alone (the executor's first step to its last, in
    clock seconds), each beside the rate-limit bound."""
    from benchmarks import bounds, corpus
    from benchmarks.run import SCAN_SECONDS, adopt
    from benchmarks.served import ServedCloud

    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        files = corpus.contracts(APPLY_CONTRACTS)
        seed = work / "seed.json"
        corpus.write_seed(seed, files)
        names = corpus.pick(list(files), APPLY_CHANGED, seed=APPLY_CHANGED)
        changes = {name: corpus.changed(files[name]) for name in names}
        folder = work / "apply" / "contracts"
        corpus.write_folder(folder, files)
        with ServedCloud(seed, time_scale=APPLY_SCALE) as cloud:
            adopt(cloud, folder, folder.parent / "state.json")
            corpus.write_folder(folder, changes)
            run = _apply(folder, cloud.settings(), journaled=journaled)
    assert run.result is not None
    if run.result.exit_code != 0:
        raise SystemExit(f"apply failed (exit {run.result.exit_code})")
    bound = bounds.apply(APPLY_CHANGED, APPLY_CONTRACTS, SCAN_SECONDS).seconds
    total = run.local_seconds + run.cloud_seconds
    # The report's times are the wall clock's, to the second: in clock seconds, times the scale.
    applying = (_at(run.result.finished) - _at(run.result.started)).total_seconds() * APPLY_SCALE
    print(
        f"apply K = {APPLY_CHANGED} of N = {APPLY_CONTRACTS:,} at time scale {APPLY_SCALE:g}, "
        f"{'journal' if journaled else 'whole state'}: {total:.1f} s in all, "
        f"{total / bound:.3f}× the bound ({bound:.0f} s; target 1.05); applying "
        f"{applying:.1f} s, {applying / bound:.3f}× the bound"
    )


def _apply(folder: Path, settings: CloudSettings, *, journaled: bool) -> ours.Run:
    """``benchmarks.ours.apply``, with the state's journal or without it."""
    session = ours.session_for(folder, folder.parent / "state.json", settings)
    store = session.state_store()
    assert isinstance(store, StateStore)
    manager: StateManager = store if journaled else WholeState(store)
    with session.lock(store, "apply", timeout=0):
        desired, state, local = ours._read(session, store)
        made, result, seconds = asyncio.run(
            ours._against_cloud(session, desired, state, Journal(manager, state))
        )
    return ours.Run(local, seconds, made, result)


def _at(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES))
    parser.add_argument("--apply", action="store_true", help="also the apply beside its bound")
    parser.add_argument(
        "--whole", action="store_true", help="the apply also without the journal, to compare"
    )
    parser.add_argument("--no-saves", action="store_true", help="skip the state saves")
    args = parser.parse_args(argv)
    if not args.no_saves:
        state_saves([int(size) for size in args.sizes.split(",")])
    if args.apply:
        apply_beside_bound(journaled=True)
    if args.whole:
        apply_beside_bound(journaled=False)


if __name__ == "__main__":
    main()
