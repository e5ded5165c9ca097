"""How long saving and loading a 10,000-dataset state takes.

Run: ``python -m tests.state.measure_save [DATASETS]``. Prints the best and median of a series
of saves that each change one record (what apply does after each call), plus a save with
nothing changed and a load. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from reconciler.state import StateFile, StateStore, encode
from tests.state.factories import dataset, record

SAVES = 30


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        store = StateStore(Path(directory) / "state.json")
        with store.lock("measure"):
            state = store.save(
                StateFile.new().with_datasets({dataset(n): record(n) for n in range(count)})
            )
            size = store.path.stat().st_size
            timings = []
            for n in range(SAVES):
                changed = state.with_record(dataset(n), record(n, version=f"v{n}"))
                started = time.perf_counter()
                state = store.save(changed)
                timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            store.save(state)
            unchanged = time.perf_counter() - started
        started = time.perf_counter()
        encode(state)
        encoding = time.perf_counter() - started
        started = time.perf_counter()
        StateStore(store.path).load()
        loading = time.perf_counter() - started
    ms = 1000
    print(f"{count} datasets, {size / 1e6:.1f} MB")
    print(
        f"save after one change: best {min(timings) * ms:.0f} ms, "
        f"median {statistics.median(timings) * ms:.0f} ms, worst {max(timings) * ms:.0f} ms "
        f"(of which encoding {encoding * ms:.0f} ms)"
    )
    print(f"save with nothing changed: {unchanged * ms:.1f} ms")
    print(f"load in a new store: {loading * ms:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
