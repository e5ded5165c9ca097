"""The demo's shop on real data: a DuckDB database with a few thousand rows, some of them
bad, made the same on every run (no randomness), in well under a second.

    customers    2,000 rows; every 50th has no email (40 rows, 2.0 %)
    orders       5,000 rows; every 200th has a negative amount (25 rows, 0.5 %)
    order_items  8,000 rows; no flaws (its contract is a skeleton from these columns)

Soda's engine names its tables ``shop/main/customers`` and so on: the data source's name,
DuckDB's schema, the table (docs/engine.md).
"""

from __future__ import annotations

from pathlib import Path

CUSTOMERS = 2_000
ORDERS = 5_000
ORDER_ITEMS = 8_000
MISSING_EMAILS = CUSTOMERS // 50
NEGATIVE_AMOUNTS = ORDERS // 200
DATABASE = "shop.duckdb"

TABLES = (
    "CREATE TABLE customers (id INTEGER NOT NULL, email VARCHAR(255), country VARCHAR(2), "
    "signed_up_at TIMESTAMP)",
    f"INSERT INTO customers SELECT i, CASE WHEN i % 50 = 0 THEN NULL ELSE 'customer' || i || "
    "'@example.com' END, ['BE', 'NL', 'FR', 'DE'][1 + i % 4], "
    "TIMESTAMP '2025-01-01 00:00:00' + i * INTERVAL 1 HOUR "
    f"FROM range(1, {CUSTOMERS + 1}) AS t(i)",
    "CREATE TABLE orders (id INTEGER NOT NULL, customer_id INTEGER NOT NULL, "
    "amount DECIMAL(10,2), status VARCHAR(16), ordered_at TIMESTAMP)",
    "INSERT INTO orders SELECT i, 1 + i % 2000, CASE WHEN i % 200 = 0 THEN -(i % 97) - 1 "
    "ELSE 5 + (i * 37) % 500 END, ['placed', 'shipped', 'delivered', 'returned'][1 + i % 4], "
    "TIMESTAMP '2025-06-01 00:00:00' + i * INTERVAL 10 MINUTE "
    f"FROM range(1, {ORDERS + 1}) AS t(i)",
    "CREATE TABLE order_items (order_id INTEGER NOT NULL, line_number INTEGER NOT NULL, "
    "product_id INTEGER, quantity INTEGER, unit_price DECIMAL(10,2))",
    "INSERT INTO order_items SELECT 1 + i % 5000, 1 + i // 5000, 1 + (i * 13) % 300, "
    f"1 + i % 5, 2 + (i * 7) % 90 FROM range(0, {ORDER_ITEMS}) AS t(i)",
)


def make_shop(path: Path) -> Path:
    """Write the shop database at ``path`` (replacing one that is there)."""
    import duckdb  # the demo's extra: pip install -e '.[duckdb]'

    path.unlink(missing_ok=True)
    connection = duckdb.connect(str(path))
    try:
        for statement in TABLES:
            connection.execute(statement)
    finally:
        connection.close()
    return path
