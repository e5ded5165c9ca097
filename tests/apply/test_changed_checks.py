"""``--verify changed-checks`` against the local Soda Cloud over HTTP: a one-check change sends
``checkPaths`` with that check's path and the scan reports the others ``excluded`` (scripted
scans, and the agent running Soda's engine on real data); an organisation without
``checkPaths`` gets whole verifications, said once per run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.apply.result import ApplyResult
from reconciler.emulator import EmulatorConfig, EmulatorFactory, RunningEmulator
from reconciler.emulator.samples import CUSTOMERS, CUSTOMERS_CONTRACT, ORDERS, sample_config
from reconciler.render.apply import render_text
from tests import shop
from tests.plan.support import contract
from tests.project import Project

VERIFY = "POST /api/v1/contracts/{contractId}/verify"
# The sample's customers contract with one check more: the missing check of email.
EMAIL_CHECKED = CUSTOMERS_CONTRACT.replace(
    "  - name: email\n    data_type: varchar\n",
    "  - name: email\n    data_type: varchar\n    checks:\n      - missing:\n",
)
ORDERS_BASE = contract(ORDERS) + "checks:\n  - row_count:\n"
# Its row count made stricter (more than 10 rows, not more than 0).
ORDERS_CHECKED = ORDERS_BASE + "      threshold:\n        must_be_greater_than: 10\n"


def scan_checks(cloud: RunningEmulator, scan_id: str) -> dict[str, str]:
    """The scan's checks as Soda Cloud reports them: id -> evaluation status."""
    with httpx.Client(base_url=cloud.url, auth=cloud.auth) as http:
        body: dict[str, Any] = http.get(f"/api/v1/scans/{scan_id}").json()
    return {str(c["id"]): str(c["evaluationStatus"]) for c in body["checks"]}


def applied(project: Project, *args: str, expect: int = 0) -> dict[str, Any]:
    result = project.apply("--auto-approve", "--format", "json", *args)
    assert result.exit_code == expect, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def outcome(report: dict[str, Any], dataset: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [d for d in report["datasets"] if d["dataset"] == dataset]
    (entry,) = found
    return entry


@pytest.fixture
def project(tmp_path: Path, emulator: RunningEmulator) -> Project:
    project = Project(tmp_path, emulator)
    project.write(CUSTOMERS, CUSTOMERS_CONTRACT)
    applied(project, "--verify", "none")
    return project


def test_a_one_check_change_verifies_that_check_and_the_others_are_excluded(
    project: Project,
) -> None:
    project.write(CUSTOMERS, EMAIL_CHECKED)
    plan = project.plan("--verify", "changed-checks")
    assert "verifies 1 check only (the changed ones): columns.email.checks.missing" in plan.stdout

    report = applied(project, "--verify", "changed-checks")

    verification = outcome(report, CUSTOMERS)["verification"]
    assert verification["check_paths"] == ["columns.email.checks.missing"]
    statuses = scan_checks(project.cloud, verification["scan_id"])
    assert sorted(statuses.values()) == ["excluded", "excluded", "pass"]
    assert report["notices"] == []


def test_changed_verifies_the_whole_contract_as_before(project: Project) -> None:
    project.write(CUSTOMERS, EMAIL_CHECKED)

    report = applied(project, "--verify", "changed")

    verification = outcome(report, CUSTOMERS)["verification"]
    assert verification["check_paths"] is None
    assert sorted(scan_checks(project.cloud, verification["scan_id"]).values()) == ["pass"] * 3


def test_a_relaxed_change_verifies_nothing_and_a_dataset_wide_one_everything(
    project: Project,
) -> None:
    project.write(CUSTOMERS, CUSTOMERS_CONTRACT.replace("      - missing:\n", ""))  # removed
    project.write(ORDERS, contract(ORDERS))  # a create: the whole contract

    plan = project.plan_json("--verify", "changed-checks")

    entries = {d["dataset"]: d for d in plan["datasets"]}
    assert (entries[CUSTOMERS]["verify"], entries[CUSTOMERS]["check_paths"]) == (False, None)
    assert (entries[ORDERS]["verify"], entries[ORDERS]["check_paths"]) == (True, None)


def test_without_check_paths_for_the_organisation_apply_verifies_whole_and_says_so_once(
    tmp_path: Path, start_emulator: EmulatorFactory
) -> None:
    config = sample_config().model_copy(update={"check_paths": False})
    project = Project(tmp_path, start_emulator(config))
    project.write(CUSTOMERS, CUSTOMERS_CONTRACT)
    project.write(ORDERS, ORDERS_BASE)
    applied(project, "--verify", "none")
    project.write(CUSTOMERS, EMAIL_CHECKED)
    project.write(ORDERS, ORDERS_CHECKED)

    report = applied(project, "--verify", "changed-checks")

    assert report["notices"] == ["check-paths-unavailable"]
    for dataset in (CUSTOMERS, ORDERS):
        verification = outcome(report, dataset)["verification"]
        assert verification["check_paths"] is None
        assert "excluded" not in scan_checks(project.cloud, verification["scan_id"]).values()
    # Refused (once, or once per scan already asked for), then each asked for whole.
    assert 3 <= project.cloud.admin.stats().count(VERIFY) <= 4
    said = render_text(ApplyResult.model_validate(report))
    assert said.count("Soda Cloud does not take checkPaths for this organisation") == 1


def test_the_refusal_is_the_one_the_local_soda_cloud_defines(
    start_emulator: EmulatorFactory,
) -> None:
    cloud = start_emulator(sample_config().model_copy(update={"check_paths": False}))
    with httpx.Client(base_url=cloud.url, auth=cloud.auth) as http:
        listed = http.get("/api/v1/contracts").json()["content"]
        contract_id = listed[0]["id"]
        refused = http.post(f"/api/v1/contracts/{contract_id}/verify", json={"checkPaths": ["x"]})
        whole = http.post(f"/api/v1/contracts/{contract_id}/verify", json={})

    assert refused.status_code == 400
    assert refused.json()["code"] == "check_paths_not_available"
    assert whole.status_code == 201


@shop.needs_engine
def test_the_agent_runs_only_the_changed_check_on_real_data(
    tmp_path: Path, start_emulator: EmulatorFactory, duckdb_shop: Path
) -> None:
    cloud = start_emulator(EmulatorConfig(data_sources=[shop.duckdb_source(duckdb_shop)]))
    project = Project(tmp_path, cloud)
    customers = "shop/main/customers"
    project.write(customers, shop.passing_contract(customers))
    applied(project, "--verify", "none")
    # The missing check of email fails on the shop's data (10 customers have none).
    project.write(
        customers,
        shop.passing_contract(customers).replace(
            "  - name: email\n", "  - name: email\n    checks:\n      - missing:\n"
        ),
    )

    report = applied(project, "--verify", "changed-checks", expect=3)

    verification = outcome(report, customers)["verification"]
    assert verification["check_paths"] == ["columns.email.checks.missing"]
    assert sorted(scan_checks(cloud, verification["scan_id"]).values()) == [
        "excluded",
        "excluded",
        "fail",
    ]
