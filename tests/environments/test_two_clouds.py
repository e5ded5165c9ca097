"""One folder, two environments, two local Soda Clouds (each its own server over HTTP): the
staging environment renames the data source ``warehouse`` to ``warehouse_staging`` and gives
the contracts' ``${var.OWNER}`` its own value. Each plan and apply touches only its own Soda
Cloud and its own state; what each Soda Cloud holds is the contract as rendered for it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.emulator import (
    Column,
    DatasetSeed,
    EmulatorConfig,
    EmulatorFactory,
    RunningEmulator,
)
from reconciler.render.fit import GITHUB_TEXT_LIMIT
from reconciler.state import StateStore
from tests.project import working_directory

TABLES = ("orders", "customers")
CONTRACT = """\
dataset: warehouse/analytics/public/{table}
description: "{table}, owned by ${{var.OWNER}}"
variables:
  OWNER:
    default: nobody
columns:
  - name: id
    data_type: integer
    checks:
      - missing:
"""


def seed(source: str) -> EmulatorConfig:
    return EmulatorConfig(
        datasets=[
            DatasetSeed(
                qualified_name=f"{source}/analytics/public/{table}",
                columns=[Column(name="id", data_type="integer")],
            )
            for table in (*TABLES, "payments")
        ]
    )


def config(staging: RunningEmulator, production: RunningEmulator) -> str:
    return f"""\
contracts: contracts
environments:
  staging:
    host: {staging.url}
    api_key_id_env: STAGING_KEY_ID
    api_key_secret_env: STAGING_KEY_SECRET
    state: .reconciler/staging.json
    variables:
      OWNER: staging-team
    rename_data_sources:
      warehouse: warehouse_staging
  production:
    host: {production.url}
    api_key_id_env: PRODUCTION_KEY_ID
    api_key_secret_env: PRODUCTION_KEY_SECRET
    state: .reconciler/production.json
    variables:
      OWNER: data-platform
"""


@dataclass
class Folder:
    root: Path
    staging: RunningEmulator
    production: RunningEmulator

    @property
    def env(self) -> dict[str, str | None]:
        return {
            "STAGING_KEY_ID": self.staging.api_key_id,
            "STAGING_KEY_SECRET": self.staging.api_key_secret,
            "PRODUCTION_KEY_ID": self.production.api_key_id,
            "PRODUCTION_KEY_SECRET": self.production.api_key_secret,
            # What the default settings would use: an environment never does.
            "SODA_CLOUD_HOST": "https://soda.invalid",
            "SODA_CLOUD_API_KEY_ID": "not-this-key",
            "SODA_CLOUD_API_KEY_SECRET": "not-this-secret",
            "RECONCILER_TIME_SCALE": str(self.staging.clock.scale),
            "RECONCILER_ENV": None,
            "NO_COLOR": "1",
        }

    def run(self, *args: str, env: dict[str, str | None] | None = None) -> Result:
        with working_directory(self.root):
            return CliRunner().invoke(
                main, list(args), env={**self.env, **(env or {})}, catch_exceptions=False
            )

    def plan_json(self, environment: str) -> dict[str, Any]:
        result = self.run("plan", "--env", environment, "--format", "json")
        assert result.exit_code == 0, result.output
        document: dict[str, Any] = json.loads(result.stdout)
        return document

    def contracts_in(self, cloud: RunningEmulator) -> dict[str, str]:
        return {c.dataset: c.contents for c in cloud.admin.state().contracts}

    def state(self, environment: str) -> StateStore:
        return StateStore(self.root / ".reconciler" / f"{environment}.json")


@pytest.fixture
def folder(tmp_path: Path, start_emulator: EmulatorFactory) -> Folder:
    staging = start_emulator(seed("warehouse_staging"))
    production = start_emulator(seed("warehouse"))
    (tmp_path / "reconciler.yml").write_text(config(staging, production))
    for table in TABLES:
        path = tmp_path / "contracts" / "warehouse" / "analytics" / "public" / f"{table}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(CONTRACT.format(table=table))
    return Folder(tmp_path, staging, production)


def test_each_environment_plans_and_applies_its_own_cloud_and_state(folder: Folder) -> None:
    staging_plan = folder.plan_json("staging")
    assert staging_plan["environment"] == "staging"
    assert {d["dataset"]: d["action"] for d in staging_plan["datasets"]} == {
        "warehouse_staging/analytics/public/orders": "create",
        "warehouse_staging/analytics/public/customers": "create",
    }

    applied = folder.run("apply", "--env", "staging", "--auto-approve")

    assert applied.exit_code == 0, applied.output
    assert "Environment staging" in applied.output
    staged = folder.contracts_in(folder.staging)
    orders = staged["warehouse_staging/analytics/public/orders"]
    # Soda Cloud holds the contract as rendered for staging: its dataset, its value.
    assert orders == CONTRACT.format(table="orders").replace(
        "dataset: warehouse/", "dataset: warehouse_staging/"
    ).replace("${var.OWNER}", "staging-team")
    assert folder.contracts_in(folder.production) == {}
    assert not (folder.root / ".reconciler" / "production.json").exists()
    recorded = folder.state("staging").load()
    assert set(recorded.datasets) == set(staged)
    # The shared folder is untouched: it still names the shared data source.
    text = (folder.root / "contracts/warehouse/analytics/public/orders.yml").read_text()
    assert text == CONTRACT.format(table="orders")

    produced = folder.run("apply", "--env", "production", "--auto-approve")

    assert produced.exit_code == 0, produced.output
    production = folder.contracts_in(folder.production)
    assert set(production) == {f"warehouse/analytics/public/{t}" for t in TABLES}
    assert "owned by data-platform" in production["warehouse/analytics/public/orders"]
    assert folder.contracts_in(folder.staging) == staged  # staging untouched
    assert folder.state("staging").load().serial == recorded.serial

    for environment in ("staging", "production"):
        again = folder.run("plan", "--env", environment, "--detailed-exitcode")
        assert again.exit_code == 0, again.output
        assert "No changes" in again.output


def test_one_comment_holds_a_section_per_environment(folder: Folder) -> None:
    assert folder.run("apply", "--env", "production", "--auto-approve").exit_code == 0

    result = folder.run("plan", "--env", "all", "--format", "markdown", "--detailed-exitcode")

    assert result.exit_code == 2, result.output  # staging still has changes
    comment = result.stdout
    assert len(comment) <= GITHUB_TEXT_LIMIT
    assert comment.startswith("### Soda contracts plan: 2 environments")
    staging_at, production_at = comment.index("#### `staging`"), comment.index("#### `production`")
    assert staging_at < production_at
    assert "warehouse_staging/analytics/public/orders" in comment[staging_at:production_at]
    assert "No changes" in comment[production_at:]


def test_a_list_of_environments_saves_one_plan_each(folder: Folder) -> None:
    refused = folder.run("plan", "--env", "staging,production", "--out", "plan.json")
    assert refused.exit_code == 1
    assert "{env}" in refused.output

    saved = folder.run("plan", "--env", "staging,production", "--out", "plan-{env}.json")

    assert saved.exit_code == 0, saved.output
    for environment in ("staging", "production"):
        document = json.loads((folder.root / f"plan-{environment}.json").read_text())
        assert document["environment"] == environment
    # A plan is applied in its own environment only.
    crossed = folder.run("apply", "plan-staging.json", "--env", "production")
    assert crossed.exit_code == 1
    assert "made for environment staging" in crossed.output
    assert folder.contracts_in(folder.production) == {}
    applied = folder.run("apply", "plan-staging.json", "--env", "staging")
    assert applied.exit_code == 0, applied.output


def test_import_writes_the_shared_name_and_refuses_what_no_file_can_manage(
    folder: Folder,
) -> None:
    payments = "warehouse_staging/analytics/public/payments"
    made = folder.staging.admin.edit_contract(
        payments, f"dataset: {payments}\ncolumns:\n  - name: id\n"
    )
    assert made
    # The unrenamed data source in the staging Soda Cloud: no shared file renders to it.
    folder.staging.admin.add_dataset(
        "warehouse/analytics/public/legacy", columns=[("id", "integer")]
    )
    folder.staging.admin.edit_contract(
        "warehouse/analytics/public/legacy",
        "dataset: warehouse/analytics/public/legacy\ncolumns:\n  - name: id\n",
    )

    imported = folder.run("import", "--env", "staging")

    assert imported.exit_code == 1, imported.output  # the legacy contract is refused
    assert "renamed in environment staging" in imported.output
    written = folder.root / "contracts/warehouse/analytics/public/payments.yml"
    assert (
        written.read_text()
        == "dataset: warehouse/analytics/public/payments\ncolumns:\n  - name: id\n"
    )
    assert not (folder.root / "contracts/warehouse_staging").exists()
    assert payments in folder.state("staging").load().datasets
    plan = folder.plan_json("staging")
    assert {d["dataset"]: d["action"] for d in plan["datasets"]}[payments] == "no-op"


def test_drift_is_not_imported_from_an_environment_that_renders_the_folder(
    folder: Folder,
) -> None:
    refused = folder.run("import", "--drifted", "--env", "staging")

    assert refused.exit_code == 1
    assert "cannot bring drift back from environment staging" in refused.output
    assert "reconciler import --force DATASET --env staging" in refused.output
    assert not (folder.root / ".reconciler" / "staging.json").exists()


def test_an_environment_is_required_and_its_key_never_falls_back(folder: Folder) -> None:
    unnamed = folder.run("plan")
    assert unnamed.exit_code == 1
    assert "choose one with --env NAME or RECONCILER_ENV" in unnamed.output

    chosen = folder.run("plan", env={"RECONCILER_ENV": "production"})
    assert chosen.exit_code == 0, chosen.output
    assert "Environment production" in chosen.output

    no_key = folder.run("plan", "--env", "staging", env={"STAGING_KEY_SECRET": None})
    assert no_key.exit_code == 1
    assert "read from STAGING_KEY_SECRET, which is not set" in no_key.output
    assert "not-this-secret" not in no_key.output

    unknown = folder.run("plan", "--env", "qa")
    assert unknown.exit_code == 1
    assert "no environment 'qa'" in unknown.output
    assert "staging, production" in unknown.output or "production, staging" in unknown.output


def test_validate_renders_for_the_environment(folder: Folder) -> None:
    assert folder.run("validate", "--env", "staging").exit_code == 0
    # What the pull-request workflow runs: every environment's rendering at once.
    assert folder.run("validate", env={"RECONCILER_ENV": "all"}).exit_code == 0
    broken = folder.root / "reconciler.yml"
    broken.write_text(
        broken.read_text().replace("OWNER: staging-team", 'OWNER: "a: b"\n      OTHER: x', 1)
    )
    (folder.root / "contracts/warehouse/analytics/public/orders.yml").write_text(
        CONTRACT.format(table="orders").replace('"orders, owned by ${var.OWNER}"', "${var.OWNER}")
    )

    result = folder.run("validate", "--env", "staging")

    assert result.exit_code == 1, result.output
    assert "environment-render" in result.output
    assert "cannot render this contract for environment staging" in result.output
    assert folder.run("validate").exit_code == 0  # the files as written are fine
    assert folder.run("validate", "--env", "production").exit_code == 0
    every = folder.run("validate", "--env", "all")
    assert every.exit_code == 1, every.output
    assert every.output.count("cannot render this contract for environment staging") == 1
