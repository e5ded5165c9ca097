"""Discovery: a data source's tables named as the engine names them, with the catalog's
columns and data types."""

from __future__ import annotations

from pathlib import Path

from reconciler.engine import Column, DataSourceConfig, data_source_from_mapping, discover
from tests import shop
from tests.postgres import PostgresServer

pytestmark = shop.needs_engine


def test_tables_are_named_as_the_engine_names_them(
    shop_source: DataSourceConfig, customers: str
) -> None:
    found = discover(shop_source)
    assert found.reached
    orders = customers.rsplit("/", 1)[0] + "/orders"
    assert [d.qualified_name for d in found.datasets] == [customers, orders]
    [dataset] = [d for d in found.datasets if d.qualified_name == customers]
    assert dataset.data_source == "shop"
    assert dataset.name == "customers"
    assert "/".join(("shop", *dataset.prefixes, "customers")) == customers


def test_duckdb_columns_carry_the_catalogs_types_and_sizes(duckdb_shop: Path) -> None:
    found = discover(data_source_from_mapping(shop.duckdb_source(duckdb_shop), origin="ds"))
    [customers] = [d for d in found.datasets if d.name == "customers"]
    assert [(c.name, c.data_type) for c in customers.columns] == [
        ("id", "integer"),
        ("email", "varchar"),
        ("country", "varchar"),
        ("created_at", "timestamp"),
        ("score", "decimal"),
    ]
    assert customers.columns[4] == Column(
        "score", "decimal", numeric_precision=10, numeric_scale=2, source_data_type="DECIMAL(10,2)"
    )


def test_postgres_columns_carry_the_catalogs_types_and_sizes(
    postgres_server: PostgresServer, postgres_shop: str
) -> None:
    mapping = postgres_server.data_source("shop", postgres_shop)
    found = discover(data_source_from_mapping(mapping, origin="ds"))
    [customers] = [d for d in found.datasets if d.name == "customers"]
    by_name = {column.name: column for column in customers.columns}
    assert by_name["email"].data_type == "character varying"
    assert by_name["email"].character_maximum_length == 255
    assert by_name["score"].data_type == "numeric"
    assert (by_name["score"].numeric_precision, by_name["score"].numeric_scale) == (10, 2)
    assert by_name["created_at"].data_type == "timestamp without time zone"


def test_a_data_source_that_cannot_be_reached_is_not_checked(tmp_path: Path) -> None:
    source = data_source_from_mapping(shop.duckdb_source(tmp_path / "absent.duckdb"), origin="ds")
    found = discover(source)
    assert not found.reached
    assert found.not_checked is not None
    assert found.not_checked.cause == "unreachable"
    assert found.datasets == ()
