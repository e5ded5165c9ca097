"""Soda's real engine on the real shop data (DuckDB and PostgreSQL): outcomes, values, check
paths, logs, and "not checked" when the data cannot be reached."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.engine import (
    REDACTED,
    DataSourceConfig,
    data_source_from_mapping,
    discover,
    verify,
)
from reconciler.errors import DataSourceConfigError, EngineNotInstalled
from tests import shop
from tests.postgres import PostgresServer

pytestmark = shop.needs_engine


def test_a_check_the_data_breaks_fails_with_its_real_count(
    shop_source: DataSourceConfig, customers: str
) -> None:
    result = verify(shop.failing_contract(customers), shop_source)
    assert result.checked
    assert not result.errors, result.errors
    email = result.check("columns.email.checks.missing")
    assert email is not None
    assert email.outcome == "fail"
    assert email.column == "email"
    assert email.type == "missing"
    assert email.diagnostics["missing_count"] == shop.MISSING_EMAILS
    assert email.diagnostics["missing_percent"] == pytest.approx(10.0)
    assert email.value == shop.MISSING_EMAILS
    assert email.threshold is not None
    assert email.threshold.must_be == 0
    assert (email.line, email.col) == (6, 9)  # `- missing:` in the contract
    row_count = result.check("checks.row_count")
    assert row_count is not None
    assert row_count.outcome == "pass"
    assert row_count.value == shop.CUSTOMERS_ROWS
    assert (result.failures, result.warnings) == (1, 0)
    assert result.dataset == customers


def test_a_contract_the_data_keeps_passes(shop_source: DataSourceConfig, customers: str) -> None:
    result = verify(shop.passing_contract(customers), shop_source)
    assert [(check.path, check.outcome) for check in result.checks] == [
        ("columns.id.checks.missing", "pass"),
        ("checks.row_count", "pass"),
    ]
    assert result.errors == ()


def test_a_warn_threshold_warns_and_a_qualifier_is_part_of_the_path(
    shop_source: DataSourceConfig, customers: str
) -> None:
    text = shop.warning_contract(customers).replace(
        "      - missing:\n", "      - missing:\n          qualifier: share\n"
    )
    result = verify(text, shop_source)
    [check] = result.checks
    assert (check.path, check.qualifier, check.outcome) == (
        "columns.email.checks.missing.share",
        "share",
        "warn",
    )
    assert check.threshold is not None
    assert check.threshold.level == "warn"


def test_check_paths_limit_the_run_and_exclude_the_rest(
    shop_source: DataSourceConfig, customers: str
) -> None:
    result = verify(
        shop.failing_contract(customers),
        shop_source,
        check_paths=["checks.row_count"],
    )
    assert {check.path: check.outcome for check in result.checks} == {
        "columns.email.checks.missing": "excluded",
        "checks.row_count": "pass",
    }


def test_the_engines_own_log_lines_come_back(shop_source: DataSourceConfig, customers: str) -> None:
    result = verify(shop.failing_contract(customers), shop_source)
    messages = [line.message for line in result.logs]
    assert any(message.startswith("Verifying contract") for message in messages), messages
    assert any(f"Contract results for {customers}" in m for m in messages)
    assert {line.level for line in result.logs} <= {"debug", "info", "warning", "error"}
    assert all(line.time.tzinfo is not None for line in result.logs)


def test_a_check_on_a_column_the_table_lacks_is_an_error(
    shop_source: DataSourceConfig, customers: str
) -> None:
    text = shop.contract(
        customers,
        columns="  - name: nickname\n    checks:\n      - missing:\n",
        checks="  - row_count:\n",
    )
    result = verify(text, shop_source)
    assert result.checked
    assert result.errors, "the failed query is reported"
    nickname = result.check("columns.nickname.checks.missing")
    assert nickname is not None
    assert nickname.outcome == "error"


def test_a_contract_the_engine_refuses_is_an_error_not_a_crash(
    shop_source: DataSourceConfig, customers: str
) -> None:
    result = verify(f"dataset: {customers}\n", shop_source)
    assert result.checked
    assert result.checks == ()
    assert any("missing the required 'columns' property" in error for error in result.errors)


def test_an_unreachable_duckdb_file_is_not_checked(tmp_path: Path) -> None:
    source = data_source_from_mapping(
        shop.duckdb_source(tmp_path / "absent.duckdb"), origin="duckdb.yml"
    )
    result = verify(shop.passing_contract("shop/main/customers"), source)
    assert result.not_checked is not None
    assert result.not_checked.cause == "unreachable"
    assert result.not_checked.reason.startswith("could not connect to data source 'shop': ")
    assert result.checks == ()
    assert [line.level for line in result.logs] == ["error"]


def test_an_unreachable_server_is_not_checked_and_its_password_is_never_shown(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(shop.PASSWORD_ENV, postgres_server.password)
    mapping = postgres_server.data_source("shop", "shop", password_env=shop.PASSWORD_ENV)
    mapping["connection"]["port"] = _closed_port()
    source = data_source_from_mapping(mapping, origin="postgres.yml")
    result = verify(shop.passing_contract("shop/shop/public/customers"), source)
    assert result.not_checked is not None
    assert result.not_checked.cause == "unreachable"
    assert "Connection refused" in result.not_checked.reason
    assert postgres_server.password not in repr(result)


def test_a_wrong_password_is_not_checked_and_the_given_one_is_redacted(
    postgres_server: PostgresServer, postgres_shop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The user name is set to the secret too: whatever the server says about it is redacted.
    monkeypatch.setenv(shop.PASSWORD_ENV, "wrong-Passw0rd")
    mapping = postgres_server.data_source("shop", postgres_shop, password_env=shop.PASSWORD_ENV)
    mapping["connection"]["user"] = "${env." + shop.PASSWORD_ENV + "}"
    source = data_source_from_mapping(mapping, origin="postgres.yml")
    result = verify(shop.passing_contract("shop/shop/public/customers"), source)
    assert result.not_checked is not None
    assert "password authentication failed" in result.not_checked.reason
    assert "wrong-Passw0rd" not in repr(result)
    assert REDACTED in result.not_checked.reason


def test_a_run_past_its_budget_is_not_checked(
    postgres_server: PostgresServer, postgres_shop: str
) -> None:
    source = data_source_from_mapping(
        postgres_server.data_source("shop", postgres_shop), origin="postgres.yml"
    )
    slow = shop.contract(
        "shop/shop/public/customers",
        columns="  - name: id\n",
        checks=(
            "  - failed_rows:\n"
            "      query: SELECT id FROM public.customers WHERE pg_sleep(30) IS NOT NULL\n"
        ),
    )
    result = verify(slow, source, budget=0.5)
    assert result.not_checked is not None
    assert result.not_checked.cause == "budget"
    assert "time budget of 0.5 s ran out" in result.not_checked.reason
    assert result.checks == ()


def test_a_configuration_soda_core_refuses_names_the_key_but_not_its_value(
    duckdb_shop: Path,
) -> None:
    mapping = shop.duckdb_source(duckdb_shop)
    mapping["connection"]["read_only"] = "s3cret-but-not-a-bool"
    source = data_source_from_mapping(mapping, origin="duckdb.yml")
    with pytest.raises(DataSourceConfigError) as raised:
        verify(shop.passing_contract("shop/main/customers"), source)
    assert "duckdb data source 'shop' (duckdb.yml)" in str(raised.value)
    assert "read_only" in str(raised.value)
    assert "s3cret-but-not-a-bool" not in str(raised.value)


def test_a_type_without_its_package_says_what_to_install() -> None:
    source = data_source_from_mapping(
        {"type": "snowflake", "name": "sf", "connection": {"account": "a"}}, origin="sf.yml"
    )
    with pytest.raises(EngineNotInstalled) as raised:
        discover(source)
    assert raised.value.hint is not None
    assert "soda-snowflake" in raised.value.hint


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_telemetry_is_off_whatever_the_environment_said() -> None:
    program = (
        "import os\n"
        "from reconciler.engine import dry_run\n"
        "dry_run('dataset: a/b/c\\ncolumns: []\\n')\n"
        "print(os.environ['SODA_CORE_TELEMETRY_ENABLED'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        env={**os.environ, "SODA_CORE_TELEMETRY_ENABLED": "true"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "false"


def test_each_check_names_the_value_its_threshold_judged(
    duckdb_shop: Path,
) -> None:
    source = data_source_from_mapping(shop.duckdb_source(duckdb_shop), origin="duckdb.yml")
    text = shop.contract(
        "shop/main/customers",
        columns=(
            "  - name: email\n    checks:\n      - missing:\n      - missing:\n"
            "          qualifier: share\n          threshold:\n            metric: percent\n"
            "            must_be_less_than: 5\n"
            "  - name: score\n    checks:\n      - aggregate:\n          function: avg\n"
            "          threshold:\n            must_be_greater_than: 2\n"
        ),
        checks="  - row_count:\n  - metric:\n      expression: avg(id)\n"
        "      threshold:\n        must_be: 3\n",
    )
    result = verify(text, source)
    assert {c.path: (c.metric, c.value) for c in result.checks} == {
        "columns.email.checks.missing": ("missing_count", shop.MISSING_EMAILS),
        "columns.email.checks.missing.share": ("missing_percent", pytest.approx(10.0)),
        "columns.score.checks.aggregate": ("avg", pytest.approx(1.5)),
        "checks.row_count": ("row_count", shop.CUSTOMERS_ROWS),
        "checks.metric": (None, pytest.approx(50.5)),
    }
