"""Shared fixtures.

Emulator fixtures (a real local Soda Cloud on a loopback port, uvicorn in a thread):
- ``emulator``: running with the small sample seed (``reconciler.emulator.samples``), the
  default ``local`` key (``emulator.auth``), documented rate limits, time scale 600 (a scan
  takes 10 clock seconds = about 17 ms; a 60 s rate-limit window passes in 0.1 s).
- ``start_emulator(seed=None, *, clock=None, time_scale=None, data_file=None)``: a factory
  for more (own seed, a ``ManualClock``, a data file); it stops everything it started.

Real data (``tests/postgres.py``, ``tests/shop.py``):
- ``postgres_server``: a throwaway PostgreSQL cluster on a loopback port for the session (per
  xdist worker), or a skip saying why there is none.
- ``duckdb_shop`` / ``postgres_shop``: the shop database (``tests/shop.py``) as a DuckDB file
  and as a PostgreSQL database of that server, for the session.
- ``shop_data``: the shop as a Soda data source configuration, once on DuckDB and once on
  PostgreSQL (parametrized; the password given as ``${env.SHOP_PG_PASSWORD}``).

Remote state (``tests/s3.py``):
- ``s3_server``: moto's S3 served on a loopback port by a subprocess, for the session (per
  xdist worker), or a skip saying why there is none.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.clock import Clock
from reconciler.emulator import EmulatorConfig, EmulatorFactory, RunningEmulator
from reconciler.emulator.samples import sample_config
from tests import postgres, s3, shop

EMULATOR_TIME_SCALE = 600.0


@pytest.fixture
def start_emulator() -> Iterator[EmulatorFactory]:
    started: list[RunningEmulator] = []

    def start(
        seed: EmulatorConfig | None = None,
        *,
        clock: Clock | None = None,
        time_scale: float | None = None,
        data_file: Path | None = None,
    ) -> RunningEmulator:
        if clock is None and time_scale is None:
            time_scale = EMULATOR_TIME_SCALE
        running = RunningEmulator(
            seed if seed is not None else sample_config(),
            clock=clock,
            time_scale=time_scale,
            data_file=data_file,
        )
        started.append(running)
        return running.start()

    yield start
    for running in reversed(started):
        running.stop()


@pytest.fixture
def emulator(start_emulator: EmulatorFactory) -> RunningEmulator:
    return start_emulator()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.PostgresServer]:
    yield from postgres.server_or_skip()


@pytest.fixture(scope="session")
def duckdb_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shop.make_duckdb_shop(tmp_path_factory.mktemp("duckdb-shop") / "shop.duckdb")


@pytest.fixture(scope="session")
def postgres_shop(postgres_server: postgres.PostgresServer) -> str:
    """The name of the shop database on the session's server."""
    database = postgres_server.create_database("shop")
    for statement in shop.TABLES:
        postgres_server.execute(statement, database=database)
    return database


@pytest.fixture(params=["duckdb", "postgres"])
def shop_data(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> shop.ShopData:
    if request.param == "duckdb":
        path: Path = request.getfixturevalue("duckdb_shop")
        return shop.ShopData(shop.duckdb_source(path), ("main",))
    server: postgres.PostgresServer = request.getfixturevalue("postgres_server")
    database: str = request.getfixturevalue("postgres_shop")
    monkeypatch.setenv(shop.PASSWORD_ENV, server.password)
    mapping = server.data_source("shop", database, password_env=shop.PASSWORD_ENV)
    return shop.ShopData(mapping, (database, "public"))


@pytest.fixture(scope="session")
def s3_server() -> Iterator[s3.S3Server]:
    yield from s3.server_or_skip()
