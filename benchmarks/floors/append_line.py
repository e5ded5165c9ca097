"""The floor of recording one change during apply: one JSON line appended to a file and
flushed to disk (``fsync``), as a journal writes it. Prints the median milliseconds.

    python -m benchmarks.floors.append_line FILE [REPEATS]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

LINE = {
    "dataset": "warehouse/analytics/schema_7/table_1234",
    "contract_id": "contract-1234",
    "dataset_id": "dataset-1234",
    "last_updated": "2026-01-01T00:00:00.000Z",
    "raw_sha256": "0" * 64,
    "semantic_fingerprint": "1" * 64,
}


def main(path: str, repeats: int) -> int:
    times: list[float] = []
    with open(path, "ab") as file:
        for _ in range(repeats):
            started = time.perf_counter()
            file.write(json.dumps(LINE).encode() + b"\n")
            file.flush()
            os.fsync(file.fileno())
            times.append(time.perf_counter() - started)
    print(json.dumps({"ms": statistics.median(times) * 1000}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 50))
