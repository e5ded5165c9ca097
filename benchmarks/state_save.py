"""One state save during apply: what making one change durable costs the journal apply
records through, with a state of N contracts. Prints the median milliseconds.

    python -m benchmarks.state_save N [REPEATS]
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from reconciler.state import DatasetRecord, Journal, StateFile, StateStore

LAST_UPDATED = "2026-01-01T00:00:00.000Z"


def record(index: int, applied: datetime) -> DatasetRecord:
    return DatasetRecord(
        applied_at=applied,
        contract_id=f"contract-{index}",
        dataset_id=f"dataset-{index}",
        last_updated=LAST_UPDATED,
        raw_sha256=f"{index:064x}",
        semantic_fingerprint=f"{index + 1:064x}",
    )


def dataset(index: int) -> str:
    return f"warehouse/analytics/schema_{index % 50}/table_{index}"


async def saves(journal: Journal, count: int, applied: datetime, repeats: int) -> list[float]:
    times: list[float] = []
    for turn in range(repeats):
        started = time.perf_counter()
        await journal.record(dataset(turn % count), record(count + turn, applied))
        times.append(time.perf_counter() - started)
    return times


def main(count: int, repeats: int) -> int:
    applied = datetime.now(timezone.utc)
    state = StateFile.new().with_datasets({dataset(i): record(i, applied) for i in range(count)})
    store = StateStore(Path(tempfile.mkdtemp(prefix="state-save-")) / "state.json")
    with store.lock("benchmark"):
        store.save(state)
        journal = Journal(store, store.load())
        times = asyncio.run(saves(journal, count, applied, repeats))
    print(json.dumps({"ms": statistics.median(times) * 1000}))
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 15))
