"""The shop as a data source configuration, on DuckDB and on PostgreSQL (its password given
as ``${env.SHOP_PG_PASSWORD}``, as a team would)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.engine import DataSourceConfig, data_source_from_mapping
from tests import shop
from tests.postgres import PostgresServer

PASSWORD_ENV = "SHOP_PG_PASSWORD"


@pytest.fixture(params=["duckdb", "postgres"])
def shop_source(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> DataSourceConfig:
    if request.param == "duckdb":
        path: Path = request.getfixturevalue("duckdb_shop")
        return data_source_from_mapping(shop.duckdb_source(path), origin="duckdb.yml")
    server: PostgresServer = request.getfixturevalue("postgres_server")
    database: str = request.getfixturevalue("postgres_shop")
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    mapping = server.data_source("shop", database, password_env=PASSWORD_ENV)
    return data_source_from_mapping(mapping, origin="postgres.yml")


def customers_of(source: DataSourceConfig) -> str:
    """The engine's name for the customers table of the shop data source."""
    if source.type == "duckdb":
        return "shop/main/customers"
    return "shop/shop/public/customers"
