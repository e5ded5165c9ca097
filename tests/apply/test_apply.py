"""reconciler apply end to end against a local Soda Cloud over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.apply.result import ApplyResult
from reconciler.emulator import Durations, EmulatorFactory, RunningEmulator
from reconciler.emulator.samples import CUSTOMERS, CUSTOMERS_CONTRACT, ORDERS, RAW_CLICKS, SESSIONS
from reconciler.render.apply import render_text
from reconciler.state import StateStore
from tests.cloud.support import bulk_seed, contract_text, dataset_name
from tests.plan.support import contract, stub
from tests.project import Project, actions, requests

CREATE, PUBLISH, VERIFY, LIST = (
    "POST /api/v1/contracts",
    "POST /api/v1/contracts/{contractId}",
    "POST /api/v1/contracts/{contractId}/verify",
    "GET /api/v1/contracts",
)


@pytest.fixture
def project(tmp_path: Path, emulator: RunningEmulator) -> Project:
    return Project(tmp_path, emulator)


def test_create_then_verify_records_everything(project: Project) -> None:
    project.write(ORDERS, contract(ORDERS))
    project.write(CUSTOMERS, CUSTOMERS_CONTRACT)
    result = project.apply("--auto-approve")
    assert result.exit_code == 0, result.output
    assert "1 to create" in result.output
    assert "Apply finished: 2 applied" in result.output
    cloud = project.cloud.admin.state()
    assert cloud.contract_for(ORDERS).contents == contract(ORDERS)  # type: ignore[union-attr]
    state = project.state()
    orders = state.datasets[ORDERS]
    assert orders.contract_id == cloud.contract_for(ORDERS).id  # type: ignore[union-attr]
    assert orders.last_verification is not None
    assert orders.last_verification.state == "completed"
    assert state.datasets[CUSTOMERS].contract_id  # adopted
    assert state.pending == {}
    # Converged: the next plan has nothing to do.
    assert set(actions(project.plan_json()).values()) == {"no-op"}


def test_a_stub_gets_a_skeleton_written_back_into_the_file(project: Project) -> None:
    path = project.write(SESSIONS, stub(SESSIONS))
    result = project.apply("--auto-approve")
    assert result.exit_code == 0, result.output
    generated = project.cloud.admin.state().contract_for(SESSIONS)
    assert generated is not None
    assert path.read_text() == generated.contents
    assert "session_id" in path.read_text()
    assert set(actions(project.plan_json()).values()) == {"no-op"}


def test_publish_and_a_verification_with_warnings_passes(project: Project) -> None:
    project.cloud.admin.set_scan_outcomes({CUSTOMERS: "completedWithWarnings"})
    project.write(
        CUSTOMERS,
        CUSTOMERS_CONTRACT.replace("      - missing:\n", "      - missing:\n      - duplicate:\n"),
    )
    result = project.apply("--auto-approve")
    assert result.exit_code == 0, result.output
    assert "1 with warnings" in result.output
    assert "checks with warnings: " in result.output
    assert project.versions()[CUSTOMERS] == 2


def test_a_failed_verification_exits_3_with_the_scan_and_its_errors(project: Project) -> None:
    project.cloud.admin.set_scan_outcomes({CUSTOMERS: "completedWithFailures"})
    project.write(
        CUSTOMERS,
        CUSTOMERS_CONTRACT.replace("      - missing:\n", "      - missing:\n      - duplicate:\n"),
    )
    result = project.apply("--auto-approve", "--format", "json")
    assert result.exit_code == 3, result.output
    report = json.loads(result.stdout)
    (outcome,) = report["datasets"]
    assert outcome["status"] == "verification-failed"
    verification = outcome["verification"]
    assert verification["state"] == "completedWithFailures"
    assert verification["cloud_url"]
    assert verification["failing_checks"]
    assert verification["error_lines"]
    # Applied nonetheless: the publish is recorded and is not repeated.
    assert project.state().datasets[CUSTOMERS].last_verification.state == "completedWithFailures"  # type: ignore[union-attr]
    assert actions(project.plan_json())[CUSTOMERS] == "no-op"


def test_adopting_writes_only_the_state(project: Project) -> None:
    project.write(CUSTOMERS, CUSTOMERS_CONTRACT)
    result = project.apply("--auto-approve")
    assert result.exit_code == 0, result.output
    assert requests(project.cloud, CREATE, PUBLISH, VERIFY) == [0, 0, 0]
    assert CUSTOMERS in project.state().datasets


def test_a_saved_plan_is_applied_exactly(project: Project) -> None:
    project.write(ORDERS, contract(ORDERS))
    plan_file = project.root / "plan.json"
    assert project.plan("--out", str(plan_file)).exit_code == 0
    result = project.run("apply", str(plan_file), "--state", str(project.state_path))
    assert result.exit_code == 0, result.output
    assert project.cloud.admin.state().contract_for(ORDERS) is not None


def test_a_stale_saved_plan_is_refused_and_changes_nothing(project: Project) -> None:
    project.write(
        CUSTOMERS,
        CUSTOMERS_CONTRACT.replace(
            "row_count:", "row_count:\n      threshold:\n        must_be_greater_than: 10"
        ),
    )
    plan_file = project.root / "plan.json"
    assert project.plan("--out", str(plan_file)).exit_code == 0
    project.cloud.admin.edit_contract(
        CUSTOMERS, CUSTOMERS_CONTRACT + "description: edited in the UI\n", "jane"
    )
    before = project.versions()
    result = project.run("apply", str(plan_file), "--state", str(project.state_path))
    assert result.exit_code == 1
    assert "stale" in result.output
    assert f"{CUSTOMERS}: changed in Soda Cloud" in result.output
    assert project.versions() == before
    assert requests(project.cloud, PUBLISH) == [0]


def test_a_saved_plan_is_refused_when_a_file_changed(project: Project) -> None:
    project.write(ORDERS, contract(ORDERS))
    plan_file = project.root / "plan.json"
    assert project.plan("--out", str(plan_file)).exit_code == 0
    project.write(ORDERS, contract(ORDERS, threshold="must_be_less_than: 3"))
    result = project.run(
        "apply", str(plan_file), "--dir", str(project.contracts), "--state", str(project.state_path)
    )
    assert result.exit_code == 1
    assert f"{ORDERS}: " in result.output
    assert "changed" in result.output
    assert project.cloud.admin.state().contract_for(ORDERS) is None


def test_a_held_lock_stops_apply_naming_its_owner(project: Project) -> None:
    project.write(ORDERS, contract(ORDERS))
    store = StateStore(project.state_path)
    with store.lock("apply"):
        result = project.apply("--auto-approve")
    assert result.exit_code == 1
    assert "reconciler state unlock" in result.output
    assert "apply" in result.output
    assert project.cloud.admin.state().contract_for(ORDERS) is None


def test_without_a_terminal_apply_needs_auto_approve(project: Project) -> None:
    project.write(ORDERS, contract(ORDERS))
    result = project.apply()
    assert result.exit_code == 1
    assert "--auto-approve" in result.output
    assert requests(project.cloud, LIST, CREATE) == [0, 0]


def test_a_dataset_soda_cloud_lacks_fails_alone_and_is_not_promised_to_a_rerun(
    project: Project,
) -> None:
    unknown = "warehouse/analytics/public/not_in_soda"
    project.write(unknown, contract(unknown))
    project.write(ORDERS, contract(ORDERS))
    result = project.apply("--auto-approve")
    assert result.exit_code == 1
    assert "UNKNOWN DATASET" in result.output  # the plan said so before applying
    assert "does not know the dataset" in result.output
    assert "Re-running `reconciler apply` resumes" not in result.output
    assert "1 dataset failed for a reason a re-run meets again" in result.output
    assert project.cloud.admin.state().contract_for(ORDERS) is not None
    project.path_of(unknown).unlink()
    again = project.apply("--auto-approve")
    assert again.exit_code == 0, again.output
    assert requests(project.cloud, CREATE) == [2]  # the failed one, and ORDERS once


def test_a_key_that_may_not_write_fails_without_promising_a_rerun(
    start_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    from reconciler.emulator import ApiKey
    from reconciler.emulator.samples import sample_config

    seed = sample_config().model_copy(
        update={
            "api_keys": [
                ApiKey(id="admin", secret="admin-secret"),
                ApiKey(id="ro", secret="ro-secret", role="viewer"),
            ]
        }
    )
    cloud = start_emulator(seed)
    project = Project(tmp_path, cloud)
    project.write(ORDERS, contract(ORDERS))
    result = project.run(
        "apply",
        "--auto-approve",
        "--dir",
        str(project.contracts),
        "--state",
        str(project.state_path),
        "--format",
        "json",
        env={"SODA_CLOUD_API_KEY_ID": "ro", "SODA_CLOUD_API_KEY_SECRET": "ro-secret"},
    )
    assert result.exit_code == 1, result.output
    (outcome,) = json.loads(result.stdout)["datasets"]
    assert outcome["status"] == "failed"
    assert "403" in outcome["error"]
    assert outcome["needs_fix"] is True
    assert "re-run" not in (outcome["hint"] or "").lower()


def test_ai_generation_fills_every_stub_in_one_request(project: Project) -> None:
    project.write(SESSIONS, stub(SESSIONS))
    project.write(ORDERS, stub(ORDERS))
    project.write(RAW_CLICKS, stub(RAW_CLICKS))  # not connected: ineligible
    result = project.apply("--auto-approve", "--generate", "ai")
    assert result.exit_code == 1, result.output
    assert f"cannot generate a contract for {RAW_CLICKS}" in result.output
    assert "session_id" in project.read(SESSIONS)
    assert "customer_id" in project.read(ORDERS)
    stats = project.cloud.admin.stats()
    assert (
        stats.count("POST /api/v1/contracts/actions/generate") == 2
    )  # refused once, then the eligible
    assert stats.count("POST /api/v1/contracts/actions/createSkeleton") == 0


def test_fail_fast_stops_the_others_where_they_stand(
    start_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    # Eleven verifications: ten fit in the verify lane's minute, the eleventh must wait a full
    # window, long after the first failing scan has ended (scans take 25 clock seconds, time
    # enough for all ten to be sent first).
    seed = bulk_seed(11, contracts=11)
    seed = seed.model_copy(update={"durations": Durations(queuing=5, executing=20)})
    cloud = start_emulator(seed, time_scale=60)
    project = Project(tmp_path, cloud)
    names = [dataset_name(i) for i in range(11)]
    cloud.admin.set_scan_outcomes({name: "completedWithFailures" for name in names})
    project.write_all({name: contract_text(name, threshold=2) for name in names})
    result = project.apply("--auto-approve", "--fail-fast", "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["stopped_early"]
    statuses = [d["status"] for d in report["datasets"]]
    assert "verification-failed" in statuses
    assert any(d["stopped"] == "fail-fast" for d in report["datasets"])
    assert "error: stopped by --fail-fast" in render_text(ApplyResult.model_validate(report))
    assert requests(cloud, VERIFY) == [10]
    assert requests(cloud, PUBLISH) == [11]


def test_a_contract_appearing_for_a_dataset_without_a_file_does_not_make_a_plan_stale(
    project: Project,
) -> None:
    project.write(ORDERS, contract(ORDERS))
    plan_file = project.root / "plan.json"
    assert project.plan("--out", str(plan_file)).exit_code == 0
    other = "warehouse/analytics/public/made_in_the_ui"
    project.cloud.admin.add_dataset(other, columns=[("id", "integer")])
    project.cloud.admin.edit_contract(other, contract(other), "jane")
    result = project.run("apply", str(plan_file), "--state", str(project.state_path))
    assert result.exit_code == 0, result.output
    assert project.cloud.admin.state().contract_for(ORDERS) is not None


def test_a_stub_whose_contract_exists_gets_it_written_back_without_asking_again(
    project: Project,
) -> None:
    path = project.write(CUSTOMERS, stub(CUSTOMERS))
    result = project.apply("--auto-approve")
    assert result.exit_code == 0, result.output
    assert path.read_text() == CUSTOMERS_CONTRACT
    assert requests(project.cloud, "POST /api/v1/contracts/actions/createSkeleton", PUBLISH) == [
        0,
        0,
    ]
    assert project.versions()[CUSTOMERS] == 1
    assert set(actions(project.plan_json()).values()) == {"no-op"}
