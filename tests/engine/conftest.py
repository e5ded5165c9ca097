"""The shop as a data source configuration of ours, on DuckDB and on PostgreSQL."""

from __future__ import annotations

import pytest

from reconciler.engine import DataSourceConfig, data_source_from_mapping
from tests.shop import ShopData


@pytest.fixture
def shop_source(shop_data: ShopData) -> DataSourceConfig:
    return data_source_from_mapping(shop_data.mapping, origin=f"{shop_data.kind}.yml")


@pytest.fixture
def customers(shop_data: ShopData) -> str:
    """The engine's name for the shop's customers table."""
    return shop_data.customers
