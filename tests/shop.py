"""A small shop database with known flaws, the same on DuckDB and on PostgreSQL, and the
contracts that pass and fail on it.

``customers`` has 100 rows; every tenth ``email`` is missing (10 rows, 10.0 %), ``id`` is
complete and unique. ``orders`` has 30 rows; 3 of them have a negative ``amount``.

Tests that run Soda's engine use ``needs_engine``: they skip when soda-core is not installed,
unless ``RECONCILER_TESTS_NEED_ENGINE=1`` (``.ci/run`` sets it; ``make test`` installs the
engine), under which they run and fail on it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.engine import engine_status

REQUIRED_ENV = "RECONCILER_TESTS_NEED_ENGINE"
PASSWORD_ENV = "SHOP_PG_PASSWORD"
MISSING_EMAILS = 10
CUSTOMERS_ROWS = 100

TABLES = (
    "CREATE TABLE customers (id INTEGER NOT NULL, email VARCHAR(255), country VARCHAR(2), "
    "created_at TIMESTAMP, score DECIMAL(10,2))",
    "INSERT INTO customers SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE 'user' || i || "
    "'@example.com' END, 'BE', TIMESTAMP '2026-01-01 00:00:00', 1.50 "
    "FROM generate_series(1, 100) AS t(i)",
    "CREATE TABLE orders (id INTEGER NOT NULL, customer_id INTEGER, amount DECIMAL(10,2))",
    "INSERT INTO orders SELECT i, i, CASE WHEN i % 10 = 0 THEN -5 ELSE 20 END "
    "FROM generate_series(1, 30) AS t(i)",
)


@dataclass(frozen=True)
class ShopData:
    """The shop as a data source configuration named ``shop``, and the prefixes Soda's engine
    puts in its datasets' names (DuckDB: the schema; PostgreSQL: database and schema)."""

    mapping: dict[str, Any]
    prefixes: tuple[str, ...]

    def dataset(self, table: str) -> str:
        return "/".join(("shop", *self.prefixes, table))

    @property
    def customers(self) -> str:
        return self.dataset("customers")

    @property
    def kind(self) -> str:
        return str(self.mapping["type"])


def engine_missing_reason() -> str | None:
    if engine_status().installed or os.environ.get(REQUIRED_ENV, "") not in ("", "0"):
        return None
    return "needs Soda's engine (pip install -e '.[test]' installs soda-core with DuckDB and PostgreSQL)"


needs_engine = pytest.mark.skipif(
    engine_missing_reason() is not None, reason=engine_missing_reason() or ""
)


def make_duckdb_shop(path: Path) -> Path:
    import duckdb

    connection = duckdb.connect(str(path))
    try:
        for statement in TABLES:
            connection.execute(statement)
    finally:
        connection.close()
    return path


def duckdb_source(path: Path, name: str = "shop") -> dict[str, Any]:
    # read_only: the test and the local Soda Cloud may hold the file at once.
    return {
        "type": "duckdb",
        "name": name,
        "connection": {"database": str(path), "read_only": True},
    }


def contract(dataset: str, *, columns: str, checks: str = "") -> str:
    text = f"dataset: {dataset}\ncolumns:\n{columns}"
    return text + (f"checks:\n{checks}" if checks else "")


def failing_contract(dataset: str) -> str:
    """``missing`` on ``email`` must be 0: it fails with missing_count 10."""
    return contract(
        dataset,
        columns="  - name: id\n  - name: email\n    checks:\n      - missing:\n",
        checks="  - row_count:\n",
    )


def passing_contract(dataset: str) -> str:
    """``missing`` on ``id`` and a row count: both pass."""
    return contract(
        dataset,
        columns="  - name: id\n    checks:\n      - missing:\n  - name: email\n",
        checks="  - row_count:\n",
    )


def warning_contract(dataset: str) -> str:
    """A warn-level ``missing`` on ``email`` (under 5 %): it warns at 10 %."""
    return contract(
        dataset,
        columns=(
            "  - name: id\n  - name: email\n    checks:\n      - missing:\n"
            "          threshold:\n            level: warn\n            metric: percent\n"
            "            must_be_less_than: 5\n"
        ),
    )
