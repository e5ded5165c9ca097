"""Validate 10,000 generated contracts (about 20 columns each) and report time and memory.

    python -m benchmarks.validate_10k [--files N] [--columns N] [--workers N] [--engine]

The contracts are written to a temporary folder (mirroring their dataset names, so the
folder is valid), then read with :func:`reconciler.desired.load_desired`, the same call
``reconciler validate`` makes. Writing them is not timed. The target is under 5 s, without
``--engine``; with it Soda's engine referees every file too (``validate --engine on``, the
import of soda-core included).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from reconciler.desired import load_desired

DATA_TYPES = ("varchar", "integer", "bigint", "numeric", "timestamp", "boolean", "date", "text")


def _column(rng: random.Random, index: int) -> str:
    data_type = rng.choice(DATA_TYPES)
    lines = [f"  - name: col_{index}", f"    data_type: {data_type}"]
    if rng.random() < 0.1:
        lines.append(f'    description: "Column {index}, generated"')
    checks: list[str] = []
    roll = rng.random()
    if roll < 0.4:
        pass
    elif roll < 0.7:
        checks.append("      - missing:")
    elif roll < 0.8:
        checks += [
            "      - missing:",
            "          threshold:",
            "            metric: percent",
            f"            must_be_less_than: {rng.randint(1, 20)}",
        ]
    elif roll < 0.88:
        checks += ["      - invalid:", "          valid_values: [a, b, c]"]
    elif roll < 0.93:
        checks += [
            "      - invalid:",
            "          valid_min: 0",
            f"          valid_max: {rng.randint(10, 1000)}",
            "          threshold:",
            "            must_be_between:",
            "              greater_than_or_equal: 0",
            "              less_than: 5",
        ]
    elif roll < 0.97:
        checks.append("      - duplicate:")
    else:
        checks += [
            "      - aggregate:",
            "          function: avg",
            "          threshold:",
            f"            must_be_greater_than: {rng.randint(0, 9)}",
        ]
    if checks:
        lines.append("    checks:")
        lines += checks
    return "\n".join(lines)


def contract_text(rng: random.Random, dataset: str, columns: int) -> str:
    parts = [f"dataset: {dataset}", "description: generated for the benchmark", "columns:"]
    parts += [_column(rng, index) for index in range(columns)]
    parts += [
        "checks:",
        "  - schema:",
        "      allow_extra_columns: true",
        "  - row_count:",
        "      threshold:",
        "        must_be_greater_than: 0",
    ]
    if rng.random() < 0.3:
        parts += [
            "  - freshness:",
            "      column: col_0",
            "      threshold:",
            "        unit: hour",
            "        must_be_less_than: 24",
        ]
    return "\n".join(parts) + "\n"


def generate(root: Path, files: int, columns: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    total = 0
    for index in range(files):
        dataset = f"warehouse/analytics/schema_{index % 50}/table_{index}"
        path = root / f"{dataset}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = contract_text(rng, dataset, columns)
        total += len(text)
        path.write_text(text, encoding="utf-8")
    return total


def _peak_mib() -> tuple[float, float]:
    # ru_maxrss is in KiB on Linux: this process, and the largest worker process.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--engine", action="store_true", help="Soda's engine referees too.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="validate-bench-") as tmp:
        root = Path(tmp) / "contracts"
        size = generate(root, args.files, args.columns)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        before = os.times()
        started = time.perf_counter()
        state = load_desired(root, workers=args.workers, engine=args.engine)
        seconds = time.perf_counter() - started
        after = os.times()
    cpu = sum(b - a for a, b in zip(before[:4], after[:4], strict=True))
    own, children = _peak_mib()
    print(f"files: {state.files_read} ({size / 1024 / 1024:.1f} MiB of YAML)")
    print(
        f"contracts: {len(state.contracts)}; errors: {state.error_count}; "
        f"warnings: {state.warning_count}"
    )
    print(f"seconds: {seconds:.2f} ({seconds / max(state.files_read, 1) * 1e6:.0f} us per file)")
    print(f"cpu seconds (this process and its workers): {cpu:.2f}")
    print(f"load average when started: {load:.2f} (other work on the machine slows the run)")
    print(f"peak memory: {own:.0f} MiB (this process), {children:.0f} MiB (largest worker)")
    return 0 if state.ok else 1


if __name__ == "__main__":
    sys.exit(main())
