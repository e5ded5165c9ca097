"""``reconciler audit`` over real HTTP: Soda Cloud is changed through the emulator's admin
routes, as a person in the UI would, and the report and exit code follow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reconciler.audit import DatasetAudit, NotCompared
from reconciler.emulator import RunningEmulator
from reconciler.emulator.samples import CUSTOMERS_CONTRACT, RAW_CLICKS
from reconciler.render.words import audit_detail, audit_remedy, not_compared_words
from reconciler.state import StateStore, read_lock
from tests.audit.support import CUSTOMERS, EVENTS, ORDERS, SESSIONS, Project, contract

ALICE = "alice@example.com"
BOB = "bob@example.com"
LIST = "GET /api/v1/contracts"
VERSIONS = "GET /api/v1/contracts/{contractId}/versions"


@pytest.fixture
def project(tmp_path: Path, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> Project:
    """Customers (seeded in Soda Cloud) and orders (made in the UI), both imported into git
    and recorded in the state: in sync."""
    monkeypatch.chdir(tmp_path)
    project = Project(tmp_path, emulator)
    emulator.admin.edit_contract(ORDERS, contract(ORDERS, "id:integer", "amount:decimal"))
    imported = project.import_()
    assert imported.exit_code == 0, imported.output
    return project


def report_of(project: Project, *args: str) -> dict[str, Any]:
    result = project.audit("--format", "json", *args)
    data: dict[str, Any] = json.loads(result.stdout)
    assert data["exit_code"] == result.exit_code
    return data


def entries(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["dataset"]: entry for entry in data["datasets"]}


def test_in_sync_exits_0_and_says_so(project: Project) -> None:
    result = project.audit()
    assert result.exit_code == 0, result.output
    assert "  contracts                    [2, 2]" in result.stdout
    assert "  exclusives                   [0, 0]" in result.stdout
    assert "  in sync                      2" in result.stdout
    assert result.stdout.rstrip().splitlines()[-2] == "Status: in sync (exit 0)"


def test_a_ui_edit_is_drift_with_who_when_and_the_diff_and_exits_4(project: Project) -> None:
    admin = project.cloud.admin
    admin.edit_contract(
        CUSTOMERS, CUSTOMERS_CONTRACT.replace("varchar", "text", 1), creator_id=ALICE
    )
    admin.edit_contract(CUSTOMERS, CUSTOMERS_CONTRACT.replace("integer", "bigint"), creator_id=BOB)
    cloud = admin.state().contract_for(CUSTOMERS)
    assert cloud is not None

    result = project.audit()

    assert result.exit_code == 4, result.output
    assert (
        f"  ! {CUSTOMERS}  changed in Soda Cloud outside git since the last apply: 2 versions by {ALICE}, {BOB}, latest at {cloud.last_updated}"
        in result.stdout
    )
    assert f" by {BOB} at {cloud.last_updated}" in result.stdout
    assert "      -    data_type: bigint\n      +    data_type: integer\n" in result.stdout
    assert result.stdout.rstrip().splitlines()[-2] == (
        "Status: drift (Soda Cloud changed outside git) (exit 4)"
    )

    data = report_of(project)
    drifted = entries(data)[CUSTOMERS]
    assert drifted["category"] == "drifted"
    assert drifted["last_updated"] == cloud.last_updated
    assert [v["creator_id"] for v in drifted["newer_versions"]] == [BOB, ALICE]
    assert drifted["newer_versions"][0]["created"] == cloud.last_updated
    assert drifted["change_class"] == "breaking"


def test_git_ahead_is_pending_and_exits_2(project: Project) -> None:
    project.write(ORDERS, contract(ORDERS, "id:integer", "amount:decimal", checks="missing"))
    project.write(EVENTS, contract(EVENTS, "event_id:varchar"))
    project.write(SESSIONS, f"dataset: {SESSIONS}\n")

    data = report_of(project)

    assert data["exit_code"] == 2
    assert data["status"] == "pending"
    found = entries(data)
    assert sorted(found) == sorted([ORDERS, EVENTS, SESSIONS])
    assert {e["category"] for e in found.values()} == {"pending"}
    assert found[ORDERS]["change_class"] == "tightened"
    assert "+    checks:\n" in str(found[ORDERS]["diff"])
    assert found[SESSIONS]["reason"] == "stub-to-generate"
    assert "stub" in audit_detail(DatasetAudit.model_validate(found[SESSIONS]))
    assert data["summary"]["contracts"] == [4, 2]
    assert data["summary"]["exclusives"] == [2, 0]


def test_pending_and_drift_together_exit_6(project: Project) -> None:
    project.cloud.admin.edit_contract(
        CUSTOMERS, CUSTOMERS_CONTRACT.replace("integer", "bigint"), creator_id=ALICE
    )
    project.write(EVENTS, contract(EVENTS, "event_id:varchar"))
    result = project.audit()
    assert result.exit_code == 6, result.output
    assert "  drifted                      1" in result.stdout
    assert "  pending                      1" in result.stdout
    assert "Status: pending and drift (exit 6)" in result.stdout


def test_a_contract_gone_from_cloud_is_missing_and_exits_4(project: Project) -> None:
    # Orders was made in the UI after the seed: back to the seed, it is gone.
    project.cloud.admin.reset()
    data = report_of(project, "--no-reporting")
    assert data["exit_code"] == 4
    missing = entries(data)[ORDERS]
    assert missing["category"] == "missing"
    assert missing["contract_id"] == project.state().datasets[ORDERS].contract_id
    assert missing["reason"] == "contract-gone"
    assert "`reconciler apply` creates it again" in audit_remedy(
        DatasetAudit.model_validate(missing)
    )


def test_unmanaged_is_reported_and_fails_only_with_strict(project: Project) -> None:
    admin = project.cloud.admin
    admin.edit_contract(EVENTS, contract(EVENTS, "event_id:varchar"), creator_id=ALICE)

    relaxed = project.audit()
    strict = project.audit("--strict")

    assert relaxed.exit_code == 0, relaxed.output
    assert f"  ? {EVENTS}  a contract in Soda Cloud with no file in git" in relaxed.stdout
    assert f"`reconciler import {EVENTS}`" in relaxed.stdout
    assert strict.exit_code == 4, strict.output
    assert "unmanaged (counts as drift: --strict)" in strict.stdout


def test_a_deleted_file_is_orphaned_for_information_only(project: Project) -> None:
    (project.contracts / f"{ORDERS}.yml").unlink()
    data = report_of(project)
    assert data["exit_code"] == 0
    assert entries(data)[ORDERS]["category"] == "orphaned"


def test_invalid_contracts_exit_1_with_the_place(project: Project) -> None:
    project.write(ORDERS, f"dataset: {ORDERS}\ncolumns:\n  - name: id\n    data_typo: integer\n")
    result = project.audit()
    assert result.exit_code == 1
    assert f"{ORDERS}.yml:4:" in result.stderr
    assert "Error:" in result.stderr


def test_a_refused_key_exits_1_without_showing_the_secret(project: Project) -> None:
    result = project.audit("--api-key-secret", "wrong-secret-value")
    assert result.exit_code == 1
    assert "401" in result.stderr
    assert "wrong-secret-value" not in result.output


def test_reporting_without_data_yet_is_not_compared_never_zero(project: Project) -> None:
    project.cloud.admin.set_reporting_ready(False)
    result = project.audit()
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        "  datasets without a contract  not compared: the Reporting API has no data yet "
        "(it answered 202; its data is refreshed in daily batches)"
    ) in lines
    assert any(line.startswith("  unresolved incidents         not compared: ") for line in lines)
    assert not any(line.endswith(" 0") and "incidents" in line for line in lines)

    markdown = project.audit("--format", "markdown").stdout
    assert "| datasets without a contract | not compared |" in markdown
    assert "| unresolved incidents | not compared |" in markdown
    assert "**Not compared** (this is not the same as none found)" in markdown

    data = report_of(project)
    assert data["summary"]["datasets_without_contract"] is None
    assert data["summary"]["unresolved_incidents"] is None
    assert data["coverage"]["not_compared"] == {"cause": "no-data-yet", "error": None}
    assert "202" in not_compared_words(NotCompared.model_validate(data["coverage"]["not_compared"]))


def test_reporting_that_cannot_be_read_is_not_compared_and_not_an_error(
    project: Project,
) -> None:
    result = project.audit("--reporting-host", project.cloud.url + "/no-such-api")
    assert result.exit_code == 0, result.output
    assert (
        "not compared: the Reporting API could not be read: Soda Cloud answered 404"
        in result.stdout
    )
    skipped = project.audit("--no-reporting")
    assert "not compared: not read (--no-reporting)" in skipped.stdout


def test_datasets_without_contracts_and_unresolved_incidents_on_managed_datasets(
    project: Project,
) -> None:
    admin = project.cloud.admin
    open_id = admin.add_incident(
        title="Rows <b>dropped</b>", dataset=CUSTOMERS, severity="critical"
    )
    admin.add_incident(title="Fixed long ago", dataset=CUSTOMERS, status="resolved")
    admin.add_incident(title="Nobody manages this", dataset=RAW_CLICKS)
    project.write(SESSIONS, contract(SESSIONS, "session_id:varchar"))

    data = report_of(project)

    without = data["coverage"]["without_contract"]
    assert [d["name"] for d in without] == [RAW_CLICKS, EVENTS]
    incidents = data["incidents"]["unresolved"]
    assert [(i["incident_id"], i["title"], i["severity"], i["dataset"]) for i in incidents] == [
        (open_id, "Rows <b>dropped</b>", "critical", CUSTOMERS)
    ]
    assert incidents[0]["url"] == f"{project.cloud.url}/incidents/{open_id}"
    assert data["summary"]["unresolved_incidents"] == 1
    assert data["summary"]["datasets_without_contract"] == 2

    text = project.audit().stdout
    assert (
        f"  * [critical] {CUSTOMERS}: Rows <b>dropped</b>  {project.cloud.url}/incidents/{open_id}"
        in text
    )
    markdown = project.audit("--format", "markdown").stdout
    assert (
        f"**critical** [Rows &lt;b&gt;dropped&lt;/b&gt;](<{project.cloud.url}/incidents/{open_id}>) on `{CUSTOMERS}`"
        in markdown
    )


def test_markdown_is_an_issue_body_and_out_writes_the_same_report(
    project: Project, tmp_path: Path
) -> None:
    project.cloud.admin.edit_contract(
        CUSTOMERS, CUSTOMERS_CONTRACT.replace("integer", "bigint"), creator_id=ALICE
    )
    out = tmp_path / "reports" / "audit.md"

    result = project.audit("--format", "markdown", "--out", str(out))

    assert result.exit_code == 4
    assert out.read_text() == result.stdout
    body = result.stdout
    assert body.startswith("### Soda contracts audit: drift (Soda Cloud changed outside git)\n")
    assert "| contracts | 2 | 2 |" in body
    assert "| drifted | 1 |" in body
    assert f"<details><summary>! drifted <code>{CUSTOMERS}</code>" in body
    assert f"by **{ALICE}**" in body
    assert "```diff\n" in body


def test_json_counts_its_calls_and_asks_versions_only_for_moved_contracts(
    project: Project,
) -> None:
    admin = project.cloud.admin
    for n in range(12):
        name = f"warehouse/analytics/public/extra_{n:02d}"
        admin.add_dataset(name, columns=[("id", "integer")])
        admin.edit_contract(name, contract(name))
    assert project.import_().exit_code == 0
    admin.edit_contract(
        CUSTOMERS, CUSTOMERS_CONTRACT.replace("integer", "bigint"), creator_id=ALICE
    )
    before = admin.stats()

    data = report_of(project)

    after = admin.stats()
    assert after.count(LIST) - before.count(LIST) == 1
    assert after.count(VERSIONS) - before.count(VERSIONS) == 1
    assert data["calls"] == {  # one page each: 14 contracts, 7 datasets, no incidents
        "total": 4,
        "by_operation": {
            "coverage datasets": 1,
            "incidents": 1,
            "list contracts": 1,
            "list versions": 1,
        },
    }
    assert data["summary"]["in_sync"] == 13


def state_files(folder: Path) -> dict[str, tuple[bytes, int]]:
    """The state's files (the parse cache beside them is no state: reading may fill it)."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()}


def test_audit_ignores_a_held_lock_and_writes_no_state(project: Project, tmp_path: Path) -> None:
    project.cloud.admin.edit_contract(
        CUSTOMERS, CUSTOMERS_CONTRACT.replace("integer", "bigint"), creator_id=ALICE
    )
    state_dir = project.state_path.parent
    store = StateStore(project.state_path)
    with store.lock("apply"):
        holder = read_lock(project.state_path)
        before = state_files(state_dir)
        top = sorted(os.listdir(tmp_path))

        result = project.audit("--target", "warehouse/**")

        assert result.exit_code == 4, result.output
        assert state_files(state_dir) == before
        assert sorted(os.listdir(tmp_path)) == top
        assert read_lock(project.state_path) == holder


def test_a_real_process_exits_with_the_audit_code(project: Project, tmp_path: Path) -> None:
    project.cloud.admin.edit_contract(
        CUSTOMERS, CUSTOMERS_CONTRACT.replace("integer", "bigint"), creator_id=ALICE
    )
    project.write(EVENTS, contract(EVENTS, "event_id:varchar"))
    out = tmp_path / "audit.json"
    command = [sys.executable, "-m", "reconciler", "audit", str(project.contracts)]
    done = subprocess.run(
        [*command, "--state", str(project.state_path), "--format", "json", "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, **project.env},
        timeout=60,
        check=False,
    )
    assert done.returncode == 6, done.stderr
    assert json.loads(out.read_text())["status"] == "pending-and-drift"
    assert project.cloud.api_key_secret not in done.stdout + done.stderr
