"""The contracts the benchmarks use: a folder in git and the same contracts in Soda Cloud.

Every contract is a realistic one of about 20 columns (the generator of ``validate_10k``),
named ``warehouse/analytics/schema_<i % 50>/table_<i>``. A *changed* contract has its
row-count threshold raised: a tightened check, so apply publishes and verifies it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

from benchmarks.validate_10k import contract_text

COLUMNS = 20
ROW_COUNT = "        must_be_greater_than: 0\n"
ROW_COUNT_RAISED = "        must_be_greater_than: 1\n"


def dataset(index: int) -> str:
    return f"warehouse/analytics/schema_{index % 50}/table_{index}"


def contracts(count: int, *, seed: int = 7) -> dict[str, str]:
    """``count`` contracts by dataset name, in the order Soda Cloud lists them."""
    rng = random.Random(seed)
    return {dataset(i): contract_text(rng, dataset(i), COLUMNS) for i in range(count)}


def changed(text: str) -> str:
    if ROW_COUNT not in text:
        raise ValueError("a generated contract always ends with its row-count check")
    return text.replace(ROW_COUNT, ROW_COUNT_RAISED, 1)


def pick(names: Sequence[str], count: int, *, seed: int) -> list[str]:
    """``count`` names spread over the whole list (drawn, then kept in list order)."""
    chosen = set(random.Random(seed).sample(range(len(names)), count))
    return [name for index, name in enumerate(names) if index in chosen]


def write_folder(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / f"{name}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def write_seed(path: Path, files: dict[str, str]) -> None:
    """A seed for ``reconciler emulator serve --seed``: every dataset with its contract.

    JSON is YAML, and much faster to write and read for 10,000 contracts."""
    seed = {
        "datasets": [{"qualified_name": name} for name in files],
        "contracts": [{"dataset": name, "contents": text} for name, text in files.items()],
    }
    path.write_text(json.dumps(seed), encoding="utf-8")
