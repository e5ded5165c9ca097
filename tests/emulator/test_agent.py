"""The local Soda Cloud's agent: a seed's ``data_sources`` become datasets from the real
catalog, and verification scans run Soda's engine on the real data (DuckDB and PostgreSQL),
on a manual clock so every lifecycle step is asserted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.clock import ManualClock
from reconciler.emulator import (
    ContractSeed,
    DatasetSeed,
    EmulatorConfig,
    EmulatorFactory,
    RunningEmulator,
    SeedError,
    load_seed,
)
from reconciler.engine import dry_run
from tests import shop
from tests.cloud.support import client_for
from tests.postgres import PostgresServer
from tests.shop import ShopData

pytestmark = shop.needs_engine

SKELETON = "/api/v1/contracts/actions/createSkeleton"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cloud(
    start_emulator: EmulatorFactory, clock: ManualClock, shop_data: ShopData
) -> RunningEmulator:
    return start_emulator(EmulatorConfig(data_sources=[shop_data.mapping]), clock=clock)


@pytest.fixture
def http(cloud: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=cloud.url, auth=cloud.auth) as client:
        yield client


def _create(http: httpx.Client, dataset: str, contents: str) -> str:
    response = http.post(
        "/api/v1/contracts", json={"datasetQualifiedName": dataset, "contents": contents}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["contract"]["id"])


def _verify(http: httpx.Client, contract_id: str, body: dict[str, Any] | None = None) -> str:
    response = http.post(f"/api/v1/contracts/{contract_id}/verify", json=body or {})
    assert response.status_code == 201, response.text
    return response.headers["X-Soda-Scan-Id"]


def _scan(http: httpx.Client, scan_id: str) -> dict[str, Any]:
    response = http.get(f"/api/v1/scans/{scan_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _logs(http: httpx.Client, scan_id: str) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = http.get(f"/api/v1/scans/{scan_id}/logs").json()["content"]
    return content


def _finish(
    cloud: RunningEmulator, clock: ManualClock, http: httpx.Client, scan_id: str
) -> dict[str, Any]:
    """Past queuing and executing on the clock, the agent's answer in: the final status."""
    clock.advance(10)
    _scan(http, scan_id)  # a request: the agent looks at the clock
    cloud.admin.drain()
    return _scan(http, scan_id)


def test_the_data_sources_tables_become_datasets_with_the_catalogs_columns(
    cloud: RunningEmulator, shop_data: ShopData
) -> None:
    datasets = {d.qualified_name: d for d in cloud.admin.state().datasets}
    assert set(datasets) == {shop_data.customers, shop_data.dataset("orders")}
    assert all(d.connected and not d.has_contract for d in datasets.values())
    raw = httpx.get(f"{cloud.url}/_emulator/state").json()["datasets"]
    [customers] = [d for d in raw if d["qualifiedName"] == shop_data.customers]
    assert [c["name"] for c in customers["columns"]] == [
        "id",
        "email",
        "country",
        "created_at",
        "score",
    ]


def test_a_contract_the_data_breaks_ends_completed_with_failures_and_the_real_count(
    cloud: RunningEmulator, clock: ManualClock, http: httpx.Client, shop_data: ShopData
) -> None:
    contract_id = _create(http, shop_data.customers, shop.failing_contract(shop_data.customers))
    scan_id = _verify(http, contract_id)
    assert _scan(http, scan_id)["state"] == "queuing"
    clock.advance(2)
    _scan(http, scan_id)
    cloud.admin.drain()  # the engine has answered; the clock has not reached the end yet
    executing = _scan(http, scan_id)
    assert executing["state"] == "executing"
    assert "ended" not in executing
    clock.advance(8)
    final = _scan(http, scan_id)
    assert final["state"] == "completedWithFailures"
    assert (final["failures"], final["warnings"], final["errors"]) == (1, 0, 0)
    assert sorted(check["evaluationStatus"] for check in final["checks"]) == ["fail", "pass"]
    messages = [line["message"] for line in _logs(http, scan_id)]
    assert any("missing_count: 10" in message for message in messages), messages
    assert any(message.startswith("Verifying contract") for message in messages)
    assert messages[-1] == "Scan ended: completedWithFailures (1 failures, 0 warnings, 0 errors)"


def test_a_contract_the_data_keeps_ends_completed(
    cloud: RunningEmulator, clock: ManualClock, http: httpx.Client, shop_data: ShopData
) -> None:
    contract_id = _create(http, shop_data.customers, shop.passing_contract(shop_data.customers))
    final = _finish(cloud, clock, http, _verify(http, contract_id))
    assert final["state"] == "completed"
    assert [check["evaluationStatus"] for check in final["checks"]] == ["pass", "pass"]
    assert final["failures"] == 0


def test_a_warning_ends_completed_with_warnings(
    cloud: RunningEmulator, clock: ManualClock, http: httpx.Client, shop_data: ShopData
) -> None:
    contract_id = _create(http, shop_data.customers, shop.warning_contract(shop_data.customers))
    final = _finish(cloud, clock, http, _verify(http, contract_id))
    assert final["state"] == "completedWithWarnings"
    assert final["warnings"] == 1


def test_check_paths_run_some_checks_and_exclude_the_rest(
    cloud: RunningEmulator, clock: ManualClock, http: httpx.Client, shop_data: ShopData
) -> None:
    contract_id = _create(http, shop_data.customers, shop.failing_contract(shop_data.customers))
    scan_id = _verify(http, contract_id, {"checkPaths": ["checks.row_count"]})
    final = _finish(cloud, clock, http, scan_id)
    assert final["state"] == "completed"
    assert sorted(check["evaluationStatus"] for check in final["checks"]) == ["excluded", "pass"]


def test_a_skeleton_lists_the_real_columns_and_passes_the_engine(
    cloud: RunningEmulator, clock: ManualClock, http: httpx.Client, shop_data: ShopData
) -> None:
    response = http.post(SKELETON, json={"datasetQualifiedName": shop_data.customers})
    assert response.status_code == 202, response.text
    clock.advance(5)
    [contract] = http.get(
        "/api/v1/contracts", params={"datasetQualifiedName": shop_data.customers}
    ).json()["content"]
    contents: str = contract["contents"]
    for column in ("id", "email", "country", "created_at", "score"):
        assert f"  - name: {column}\n" in contents
    assert "    numeric_precision: 10\n    numeric_scale: 2\n" in contents
    assert dry_run(contents).ok, dry_run(contents)
    # Its schema check holds on the table it was made from: the types are the real ones.
    final = _finish(cloud, clock, http, _verify(http, contract["id"]))
    assert final["state"] == "completed", _logs(http, final["id"])


def test_cancel_stops_a_queued_scan_before_the_engine_runs_it(
    cloud: RunningEmulator, clock: ManualClock, http: httpx.Client, shop_data: ShopData
) -> None:
    contract_id = _create(http, shop_data.customers, shop.passing_contract(shop_data.customers))
    scan_id = _verify(http, contract_id)
    assert http.delete(f"/api/v1/scans/{scan_id}").status_code == 200
    clock.advance(10)
    assert _scan(http, scan_id)["state"] == "canceled"
    assert cloud.admin.drain() == 0  # the engine never ran
    assert cloud.admin.stats().agent == {"runs": 0, "queued": 0}


def test_a_scan_canceled_while_executing_drops_the_engines_answer(
    cloud: RunningEmulator, clock: ManualClock, http: httpx.Client, shop_data: ShopData
) -> None:
    contract_id = _create(http, shop_data.customers, shop.failing_contract(shop_data.customers))
    scan_id = _verify(http, contract_id)
    clock.advance(3)
    assert _scan(http, scan_id)["state"] == "executing"
    assert http.delete(f"/api/v1/scans/{scan_id}").status_code == 200
    cloud.admin.drain()
    assert _scan(http, scan_id)["state"] == "cancelationRequested"
    clock.advance(1)
    final = _scan(http, scan_id)
    assert final["state"] == "canceled"
    assert final["failures"] == 0
    assert http.post("/v1/impact/incidents", json={}).status_code == 202  # none opened


def test_reporting_follows_the_real_results_and_a_failed_check_opens_an_incident(
    cloud: RunningEmulator, clock: ManualClock, http: httpx.Client, shop_data: ShopData
) -> None:
    contract_id = _create(http, shop_data.customers, shop.failing_contract(shop_data.customers))
    final = _finish(cloud, clock, http, _verify(http, contract_id))
    failed = [check["id"] for check in final["checks"] if check["evaluationStatus"] == "fail"]
    datasets = http.post("/v1/coverage/datasets", json={}).json()["data"]
    [row] = [d for d in datasets if d["dataset_label"] == shop_data.customers]
    assert row["number_of_failed_checks"] == 1
    assert row["last_scan_time"] == final["ended"]
    checks = http.post("/v1/coverage/checks", json={}).json()["data"]
    assert {c["check_id"] for c in checks} == {check["id"] for check in final["checks"]}
    [incident] = http.post("/v1/impact/incidents", json={}).json()["data"]
    assert incident["check_id"] == failed[0]
    assert incident["dataset_id"] == row["dataset_id"]
    assert "columns.email.checks.missing" in incident["title"]
    # The same check failing again does not open a second incident while one is open.
    _finish(cloud, clock, http, _verify(http, contract_id))
    assert len(http.post("/v1/impact/incidents", json={}).json()["data"]) == 1


def test_the_answer_survives_a_restart(
    start_emulator: EmulatorFactory, tmp_path: Path, duckdb_shop: Path
) -> None:
    clock = ManualClock()
    seed = EmulatorConfig(data_sources=[shop.duckdb_source(duckdb_shop)])
    data_file = tmp_path / "cloud.json"
    first = start_emulator(seed, clock=clock, data_file=data_file)
    with httpx.Client(base_url=first.url, auth=first.auth) as http:
        contract_id = _create(
            http, "shop/main/customers", shop.failing_contract("shop/main/customers")
        )
        scan_id = _verify(http, contract_id)
        assert _finish(first, clock, http, scan_id)["state"] == "completedWithFailures"
    first.stop()
    again = start_emulator(seed, clock=clock, data_file=data_file)
    with httpx.Client(base_url=again.url, auth=again.auth) as http:
        assert _scan(http, scan_id)["state"] == "completedWithFailures"
        assert len(http.post("/v1/impact/incidents", json={}).json()["data"]) == 1
    assert again.admin.stats().agent["runs"] == 0  # nothing was run again


def test_an_unreachable_data_source_fails_the_scan_with_a_clear_log_line(
    start_emulator: EmulatorFactory, clock: ManualClock, shop_data: ShopData, tmp_path: Path
) -> None:
    mapping = _unreachable(shop_data, tmp_path)
    dataset = shop_data.customers
    seed = EmulatorConfig(data_sources=[mapping], datasets=[DatasetSeed(qualified_name=dataset)])
    cloud = start_emulator(seed, clock=clock)
    with httpx.Client(base_url=cloud.url, auth=cloud.auth) as http:
        scan_id = _verify(http, _create(http, dataset, shop.passing_contract(dataset)))
        final = _finish(cloud, clock, http, scan_id)
        assert final["state"] == "failed"
        assert final["errors"] == 1
        errors = [line["message"] for line in _logs(http, scan_id) if line["level"] == "error"]
    assert len(errors) == 1
    assert errors[0].startswith("Could not connect to data source 'shop': ")


def _unreachable(shop_data: ShopData, tmp_path: Path) -> dict[str, Any]:
    if shop_data.kind == "duckdb":
        return shop.duckdb_source(tmp_path / "gone.duckdb")
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    mapping = {**shop_data.mapping, "connection": {**shop_data.mapping["connection"], "port": port}}
    return mapping


def test_the_api_answers_while_the_engine_runs(
    start_emulator: EmulatorFactory,
    clock: ManualClock,
    postgres_server: PostgresServer,
    postgres_shop: str,
) -> None:
    dataset = f"shop/{postgres_shop}/public/customers"
    seed = EmulatorConfig(data_sources=[postgres_server.data_source("shop", postgres_shop)])
    cloud = start_emulator(seed, clock=clock)
    slow = shop.contract(
        dataset,
        columns="  - name: id\n",
        checks=(
            "  - failed_rows:\n"
            "      query: SELECT id FROM public.customers WHERE pg_sleep(600) IS NOT NULL\n"
        ),
    )
    with httpx.Client(base_url=cloud.url, auth=cloud.auth) as http:
        scan_id = _verify(http, _create(http, dataset, slow))
        clock.advance(10)
        _scan(http, scan_id)
        _wait_for_the_query(postgres_server, postgres_shop)
        # The engine is inside its query; the API still answers, and the scan is executing.
        assert _scan(http, scan_id)["state"] == "executing"
        assert http.get("/api/v1/contracts").status_code == 200
        postgres_server.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()",
            database=postgres_shop,
        )
        cloud.admin.drain()
        final = _scan(http, scan_id)
    assert final["state"] == "completedWithErrors"
    assert final["errors"] >= 1


def _wait_for_the_query(server: PostgresServer, database: str) -> None:
    """Until the engine's query is running on the server (polled; not a timed assertion)."""
    import psycopg

    with psycopg.connect(server.conninfo(database), autocommit=True) as connection:
        for _ in range(600):
            row = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' "
                "AND pid <> pg_backend_pid()"
            ).fetchone()
            if row is not None and row[0]:
                return
            connection.execute("SELECT pg_sleep(0.05)")
    raise AssertionError("the engine's query never started")


def test_a_seed_file_names_data_source_files_relative_to_itself(
    tmp_path: Path, duckdb_shop: Path
) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "shop.yml").write_text(
        f"type: duckdb\nname: shop\nconnection:\n  database: {duckdb_shop}\n  read_only: true\n",
        encoding="utf-8",
    )
    (folder / "seed.yml").write_text("data_sources:\n  - shop.yml\n", encoding="utf-8")
    seed = load_seed(folder / "seed.yml")
    assert seed.data_sources == [str((folder / "shop.yml").resolve())]


def test_a_bad_data_source_in_a_seed_file_is_refused_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "seed.yml"
    path.write_text(
        "data_sources:\n  - {type: duckdb, name: shop, connection: {database: a.duckdb}}\n"
        "  - {type: postgres, name: '', connection: {}}\n",
        encoding="utf-8",
    )
    with pytest.raises(SeedError) as raised:
        load_seed(path)
    assert str(raised.value).startswith(f"{path}:3:5: data_sources[1]: ")
    assert "`name` must be a non-empty string" in str(raised.value)


def test_a_seed_contract_for_a_table_the_data_sources_lack_is_refused(duckdb_shop: Path) -> None:
    seed = EmulatorConfig(
        data_sources=[shop.duckdb_source(duckdb_shop)],
        contracts=[
            ContractSeed(
                dataset="shop/main/nothing", contents="dataset: shop/main/nothing\ncolumns: []\n"
            )
        ],
    )
    with pytest.raises(SeedError, match="contracts\\[0\\]: dataset 'shop/main/nothing' is neither"):
        RunningEmulator(seed, clock=ManualClock()).start()


async def test_the_reconcilers_client_waits_for_the_engines_answer_on_a_scaled_clock(
    start_emulator: EmulatorFactory, duckdb_shop: Path
) -> None:
    seed = EmulatorConfig(data_sources=[shop.duckdb_source(duckdb_shop)])
    cloud = start_emulator(seed, time_scale=600)
    dataset = "shop/main/customers"
    async with client_for(cloud) as client:
        created = await client.create_contract(dataset, shop.failing_contract(dataset))
        status = await client.wait_scan((await client.verify(created.contract.id)).scan_id)
        logs = await client.scan_logs(status.id)
    assert status.state == "completedWithFailures"
    assert status.failures == 1
    assert any("missing_count: 10" in line.message for line in logs)


def test_a_data_source_password_appears_in_no_log_state_or_data_file(
    start_emulator: EmulatorFactory,
    clock: ManualClock,
    postgres_server: PostgresServer,
    postgres_shop: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The server repeats the user name in its refusal; the user name is the secret here, so
    # redaction is what keeps it out.
    secret = "Sup3r-secret-user"
    monkeypatch.setenv("SHOP_PG_USER", secret)
    mapping = postgres_server.data_source("shop", postgres_shop)
    mapping["connection"]["user"] = "${env.SHOP_PG_USER}"
    dataset = f"shop/{postgres_shop}/public/customers"
    data_file = tmp_path / "cloud.json"
    seed = EmulatorConfig(data_sources=[mapping], datasets=[DatasetSeed(qualified_name=dataset)])
    cloud = start_emulator(seed, clock=clock, data_file=data_file)
    with httpx.Client(base_url=cloud.url, auth=cloud.auth) as http:
        scan_id = _verify(http, _create(http, dataset, shop.passing_contract(dataset)))
        final = _finish(cloud, clock, http, scan_id)
        logs = _logs(http, scan_id)
        state = httpx.get(f"{cloud.url}/_emulator/state").text
    assert final["state"] == "failed"
    [refusal] = [line["message"] for line in logs if line["level"] == "error"]
    assert 'password authentication failed for user "***"' in refusal
    everything = [str(final), str(logs), state, data_file.read_text(encoding="utf-8")]
    assert not [text for text in everything if secret in text]


def test_a_seed_contract_may_name_a_table_of_the_data_sources(
    start_emulator: EmulatorFactory, duckdb_shop: Path
) -> None:
    dataset = "shop/main/customers"
    seed = EmulatorConfig(
        data_sources=[shop.duckdb_source(duckdb_shop)],
        contracts=[ContractSeed(dataset=dataset, contents=shop.passing_contract(dataset))],
    )
    state = start_emulator(seed, clock=ManualClock()).admin.state()
    contract = state.contract_for(dataset)
    assert contract is not None
    assert contract.contents == shop.passing_contract(dataset)
