"""``plan --check-data``: the changed contracts run by Soda's real engine on the real shop
(DuckDB and PostgreSQL), against a local Soda Cloud over HTTP; the pull-request gate
``--fail-on failing-checks``; "not checked" when the data cannot be looked at in time."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.emulator import ContractSeed, DatasetSeed, EmulatorConfig, EmulatorFactory
from tests import shop
from tests.postgres import PostgresServer
from tests.project import Project
from tests.shop import ShopData

pytestmark = shop.needs_engine

GATE = ("--check-data", "--fail-on", "failing-checks")
FAILS_ANEW = "would fail: column email: missing_count 10 (10.0%), must be 0 (new with this change)"


def project_on(
    tmp_path: Path,
    start_emulator: EmulatorFactory,
    data_source: dict[str, Any],
    dataset: str,
    in_cloud: str | None,
    *,
    settings: str = "",
) -> Project:
    """A project whose reconciler.yml names ``data_source``, against a Soda Cloud that knows
    ``dataset`` (with the contract ``in_cloud``, if any)."""
    contracts = [ContractSeed(dataset=dataset, contents=in_cloud)] if in_cloud else []
    cloud = start_emulator(
        EmulatorConfig(datasets=[DatasetSeed(qualified_name=dataset)], contracts=contracts)
    )
    project = Project(tmp_path, cloud)
    config = yaml.safe_dump({"data_sources": [data_source]}, sort_keys=False) + settings
    (tmp_path / "reconciler.yml").write_text(config, encoding="utf-8")
    return project


def entry(plan: dict[str, Any], dataset: str) -> dict[str, Any]:
    found: dict[str, Any] = next(d for d in plan["datasets"] if d["dataset"] == dataset)
    return found


def test_a_tightened_check_todays_data_breaks_stops_the_gate_naming_the_check_and_its_value(
    tmp_path: Path, start_emulator: EmulatorFactory, shop_data: ShopData
) -> None:
    customers = shop_data.customers
    project = project_on(
        tmp_path, start_emulator, shop_data.mapping, customers, shop.passing_contract(customers)
    )
    project.write(customers, shop.failing_contract(customers))

    result = project.plan(*GATE)

    assert result.exit_code == 3, result.output
    assert FAILS_ANEW in result.stdout
    assert "verify, FAILS ON DATA]" in result.stdout
    assert "1 checked on today's data (1 would fail)" in result.stdout
    assert "Failing: a change makes checks fail on today's data (--fail-on)." in result.stderr
    if shop_data.kind == "postgres":  # the password came from ${env.NAME}: never shown
        assert os.environ[shop.PASSWORD_ENV] not in result.output
    # Without the gate the same plan is only a plan.
    assert project.plan("--check-data").exit_code == 0


def test_a_change_todays_data_keeps_passes_the_gate(
    tmp_path: Path, start_emulator: EmulatorFactory, shop_data: ShopData
) -> None:
    customers = shop_data.customers
    project = project_on(
        tmp_path, start_emulator, shop_data.mapping, customers, shop.passing_contract(customers)
    )
    within = shop.passing_contract(customers).replace(
        "  - name: email\n",
        "  - name: email\n    checks:\n      - missing:\n          threshold:\n"
        "            metric: percent\n            must_be_less_than: 20\n",
    )
    project.write(customers, within)

    result = project.plan(*GATE)

    assert result.exit_code == 0, result.output
    assert "data: today's data in shop: 3 checks, 3 pass" in result.stdout
    assert "would fail" not in result.stdout


def test_a_check_failing_already_under_soda_clouds_contract_does_not_stop_the_gate(
    tmp_path: Path, start_emulator: EmulatorFactory, shop_data: ShopData
) -> None:
    customers = shop_data.customers
    failing = shop.failing_contract(customers)
    project = project_on(tmp_path, start_emulator, shop_data.mapping, customers, failing)
    project.write(
        customers,
        failing.replace("  - name: id\n", "  - name: id\n    checks:\n      - duplicate:\n"),
    )

    result = project.plan(*GATE, "--format", "json")

    assert result.exit_code == 0, result.output
    check = entry(json.loads(result.stdout), customers)["data_check"]
    assert (check["baseline"], check["failing"]) == ("cloud", False)
    outcomes = {c["path"]: (c["outcome"], c["since"]) for c in check["checks"]}
    assert outcomes == {
        "columns.id.checks.duplicate": ("pass", None),
        "columns.email.checks.missing": ("fail", "already"),
        "checks.row_count": ("pass", None),
    }
    text = project.plan("--check-data").stdout
    assert "(already so under the contract Soda Cloud has)" in text


def test_the_json_plan_records_each_checks_path_outcome_and_values(
    tmp_path: Path, start_emulator: EmulatorFactory, duckdb_shop: Path
) -> None:
    customers = "shop/main/customers"
    project = project_on(tmp_path, start_emulator, shop.duckdb_source(duckdb_shop), customers, None)
    project.write(customers, shop.failing_contract(customers))

    result = project.plan(*GATE, "--format", "json")

    assert result.exit_code == 3, result.output
    plan = json.loads(result.stdout)
    assert plan["format_version"] == 4
    created = entry(plan, customers)
    assert created["action"] == "create"
    check = created["data_check"]
    assert (check["data_source"], check["baseline"], check["failing"]) == ("shop", "none", True)
    email = next(c for c in check["checks"] if c["path"] == "columns.email.checks.missing")
    assert email["outcome"] == "fail"
    assert (email["metric"], email["value"], email["since"]) == ("missing_count", 10, "new")
    assert email["diagnostics"]["missing_percent"] == pytest.approx(10.0)
    assert email["threshold"]["must_be"] == 0
    assert email["line"] == 6
    row_count = next(c for c in check["checks"] if c["path"] == "checks.row_count")
    assert (row_count["outcome"], row_count["value"]) == ("pass", shop.CUSTOMERS_ROWS)
    markdown = project.plan(*GATE, "--format", "markdown").stdout
    assert "> **1 change would make checks fail on today's data**" in markdown
    assert "| of which a change makes fail | 1 |" in markdown


def test_a_data_source_that_cannot_be_reached_is_not_checked_and_its_password_never_shown(
    tmp_path: Path, start_emulator: EmulatorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("SHOP_PG_PASSWORD", "pw-never-printed-4711")
    connection = {"host": "127.0.0.1", "port": port, "user": "soda", "database": "shop"}
    source = {
        "type": "postgres",
        "name": "shop",
        "connection": {**connection, "password": "${env.SHOP_PG_PASSWORD}"},
    }
    customers = "shop/shop/public/customers"
    project = project_on(tmp_path, start_emulator, source, customers, None)
    project.write(customers, shop.failing_contract(customers))
    project.write("shop/shop/public/orders", shop.failing_contract("shop/shop/public/orders"))

    outputs = [project.plan(*GATE, "--format", form) for form in ("text", "markdown", "json")]

    assert [r.exit_code for r in outputs] == [0, 0, 0], outputs[0].output
    text = outputs[0].stdout
    assert text.count("data: not checked: could not connect to data source 'shop'") == 2
    assert "2 not checked" in text
    for result in outputs:
        assert "pw-never-printed-4711" not in result.output
    plan = json.loads(outputs[2].stdout)
    why = entry(plan, customers)["data_check"]["not_checked"]
    assert (why["cause"], why["data_source"]) == ("unreachable", "shop")


def test_a_contract_past_its_time_budget_is_not_checked_and_the_plan_completes(
    tmp_path: Path,
    start_emulator: EmulatorFactory,
    postgres_server: PostgresServer,
    postgres_shop: str,
) -> None:
    source = postgres_server.data_source("shop", postgres_shop)
    customers = f"shop/{postgres_shop}/public/customers"
    project = project_on(tmp_path, start_emulator, source, customers, None)
    project.write(
        customers,
        shop.contract(
            customers,
            columns="  - name: id\n",
            checks="  - failed_rows:\n      query: SELECT id FROM public.customers "
            "WHERE pg_sleep(30) IS NOT NULL\n",
        ),
    )

    result = project.plan(*GATE, "--check-data-timeout", "0.5s")

    assert result.exit_code == 0, result.output
    assert "data: not checked: the time budget of 0.5 s ran out" in result.stdout


def test_a_dataset_of_a_data_source_reconciler_yml_does_not_name_is_not_checked(
    tmp_path: Path, start_emulator: EmulatorFactory, duckdb_shop: Path
) -> None:
    dataset = "warehouse/analytics/public/customers"
    project = project_on(tmp_path, start_emulator, shop.duckdb_source(duckdb_shop), dataset, None)
    project.write(dataset, shop.failing_contract(dataset))

    result = project.plan(*GATE)

    assert result.exit_code == 0, result.output
    assert (
        "data: not checked: `data_sources:` in reconciler.yml names no data source 'warehouse'"
        in result.stdout
    )


def test_the_gate_without_data_checks_is_refused_and_check_data_in_reconciler_yml_turns_them_on(
    tmp_path: Path, start_emulator: EmulatorFactory, duckdb_shop: Path
) -> None:
    customers = "shop/main/customers"
    project = project_on(tmp_path, start_emulator, shop.duckdb_source(duckdb_shop), customers, None)
    project.write(customers, shop.failing_contract(customers))

    refused = project.plan("--fail-on", "failing-checks")
    assert refused.exit_code == 1
    assert "--fail-on failing-checks needs the data checks, which are off" in refused.output

    config = tmp_path / "reconciler.yml"
    config.write_text(config.read_text() + "check_data: changed\n")
    assert project.plan("--fail-on", "failing-checks").exit_code == 3
    assert project.plan("--no-check-data").exit_code == 0
    assert "today's data" not in project.plan("--no-check-data").stdout
    off = project.run(
        "plan",
        str(project.contracts),
        "--fail-on",
        "failing-checks",
        env={"RECONCILER_CHECK_DATA": "false"},
    )
    assert off.exit_code == 1  # the variable wins over reconciler.yml


def test_apply_never_runs_the_data_checks_and_a_saved_plan_carries_them_as_observations(
    tmp_path: Path, start_emulator: EmulatorFactory, duckdb_shop: Path
) -> None:
    customers = "shop/main/customers"
    project = project_on(
        tmp_path,
        start_emulator,
        shop.duckdb_source(duckdb_shop),
        customers,
        None,
        settings="check_data: changed\n",
    )
    project.write(customers, shop.failing_contract(customers))
    saved = tmp_path / "plan.json"

    planned = project.plan("--out", str(saved))
    assert planned.exit_code == 0, planned.output
    assert "would fail: column email" in planned.stdout
    document = json.loads(saved.read_text())
    assert entry(document, customers)["data_check"]["failing"] is True

    applied = project.apply(str(saved))
    assert applied.exit_code == 0, applied.output
    assert "created, verified: completed" in applied.stdout
    assert "today's data" not in applied.output

    project.write(customers, shop.passing_contract(customers))
    fresh = project.apply("--auto-approve")
    assert fresh.exit_code == 0, fresh.output
    assert "today's data" not in fresh.output


def test_an_environment_runs_its_rendered_contract_on_its_renamed_data_source(
    tmp_path: Path, start_emulator: EmulatorFactory, duckdb_shop: Path
) -> None:
    staging = "shop_staging/main/customers"
    source = {**shop.duckdb_source(duckdb_shop), "name": "shop_staging"}
    project = project_on(tmp_path, start_emulator, source, staging, None)
    environments = {
        "environments": {
            "staging": {
                "host": project.cloud.url,
                "api_key_id_env": "SODA_CLOUD_API_KEY_ID",
                "api_key_secret_env": "SODA_CLOUD_API_KEY_SECRET",
                "rename_data_sources": {"shop": "shop_staging"},
            }
        }
    }
    config = tmp_path / "reconciler.yml"
    config.write_text(config.read_text() + yaml.safe_dump(environments), encoding="utf-8")
    project.write("shop/main/customers", shop.failing_contract("shop/main/customers"))

    result = project.plan(*GATE, "--env", "staging", "--format", "json")

    assert result.exit_code == 3, result.output
    check = entry(json.loads(result.stdout), staging)["data_check"]
    assert (check["data_source"], check["failing"]) == ("shop_staging", True)
