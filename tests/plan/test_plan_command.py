"""reconciler plan against a local Soda Cloud over HTTP: costs, drift, outputs, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.emulator import EmulatorFactory, RunningEmulator
from reconciler.emulator.samples import CUSTOMERS, CUSTOMERS_CONTRACT, ORDERS, SESSIONS
from reconciler.render.plan import GITHUB_COMMENT_LIMIT
from tests.cloud.support import bulk_seed, contract_text, dataset_name
from tests.plan.support import contract, stub
from tests.project import Project, actions, requests

LIST, VERSIONS = "GET /api/v1/contracts", "GET /api/v1/contracts/{contractId}/versions"
STRICTER_ROW_COUNT = CUSTOMERS_CONTRACT.replace(
    "  - row_count:\n", "  - row_count:\n      threshold:\n        must_be_greater_than: 10\n"
)


@pytest.fixture
def project(tmp_path: Path, emulator: RunningEmulator) -> Project:
    return Project(tmp_path, emulator)


def test_a_steady_state_plan_costs_one_list_call_per_1000_and_drift_costs_one_versions_call_each(
    tmp_path: Path, start_emulator: EmulatorFactory
) -> None:
    cloud = start_emulator(bulk_seed(3000, contracts=3000))
    project = Project(tmp_path, cloud)
    project.write_all({dataset_name(i): contract_text(dataset_name(i)) for i in range(3000)})
    # --engine off: the calls to Soda Cloud are counted here; Soda's engine would referee
    # 3000 files on each read of the folder (the referee has its own tests).
    adopted = project.apply("--auto-approve", "--engine", "off")
    assert adopted.exit_code == 0, adopted.output
    before = requests(cloud, LIST, VERSIONS)

    steady = project.plan("--detailed-exitcode", "--engine", "off")
    assert steady.exit_code == 0, steady.output
    after = requests(cloud, LIST, VERSIONS)
    assert [a - b for a, b in zip(after, before, strict=True)] == [3, 0]

    edited = [dataset_name(i) for i in (5, 50, 500, 1500, 2999)]
    for name in edited:
        cloud.admin.edit_contract(
            name, contract_text(name, threshold=7), creator_id="jane@example.com"
        )
    plan = project.plan_json("--engine", "off")
    final = requests(cloud, LIST, VERSIONS)
    assert final[0] - after[0] == 3
    assert final[1] - after[1] <= 5
    drifted = {d["dataset"]: d for d in plan["datasets"] if d["drift"]}
    assert set(drifted) == set(edited)
    for entry in drifted.values():
        assert entry["action"] == "publish"
        assert [v["creator_id"] for v in entry["drift"]["newer_versions"]] == ["jane@example.com"]


def test_text_output_names_each_change_and_sums_up(project: Project) -> None:
    project.write(CUSTOMERS, STRICTER_ROW_COUNT)
    project.write(ORDERS, contract(ORDERS))
    project.write(SESSIONS, stub(SESSIONS))
    result = project.plan()
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"~ publish           {CUSTOMERS}" in out
    assert "[tightened, verify]" in out
    assert "row_count" in out
    assert f"+ create            {ORDERS}" in out
    assert f"* generate skeleton {SESSIONS}" in out
    assert "Plan: 1 to create, 1 skeleton, 1 to publish, 2 to verify, 0 unchanged" in out
    assert "\x1b[" not in out  # NO_COLOR
    with_diff = project.plan("--diff").stdout
    assert "+        must_be_greater_than: 10" in with_diff


def test_detailed_exitcode_and_fail_on(project: Project) -> None:
    project.write(CUSTOMERS, CUSTOMERS_CONTRACT)
    assert project.plan("--detailed-exitcode").exit_code == 2  # adopt: recorded at apply
    assert project.apply("--auto-approve").exit_code == 0
    assert project.plan("--detailed-exitcode").exit_code == 0
    project.write(
        CUSTOMERS, CUSTOMERS_CONTRACT.replace("  - name: country\n    data_type: varchar\n", "")
    )
    breaking = project.plan("--fail-on", "breaking")
    assert breaking.exit_code == 3
    assert "breaking" in breaking.output
    assert "column country" in breaking.stdout
    assert project.plan("--fail-on", "relaxed").exit_code == 0
    assert project.plan("--detailed-exitcode").exit_code == 2
    project.cloud.admin.edit_contract(CUSTOMERS, STRICTER_ROW_COUNT, "jane")
    assert project.plan("--fail-on", "drift").exit_code == 3


def test_an_invalid_folder_plans_nothing_and_shows_every_error(project: Project) -> None:
    project.write(ORDERS, f"dataset: {ORDERS}\ncolumns:\n  - name: id\n    treshold: 3\n")
    project.write(CUSTOMERS, "dataset: [\n")
    result = project.plan()
    assert result.exit_code == 1
    assert "orders.yml:4:5" in result.output
    assert "customers.yml:" in result.output
    assert "nothing was planned" in result.output
    assert requests(project.cloud, LIST) == [0]


def test_json_output_is_the_saved_plan_document(project: Project) -> None:
    project.write(ORDERS, contract(ORDERS))
    out = project.root / "saved.json"
    document = project.plan_json("--out", str(out))
    assert json.loads(out.read_text()) == document
    assert document["format_version"] == 4
    assert document["digest"].startswith("sha256:")
    # Codes and data, no sentences: the entry says what it creates in values.
    [entry] = [d for d in document["datasets"] if d["dataset"] == ORDERS]
    assert [c["kind"] for c in entry["changes"]] == ["new-contract"]
    assert entry["changes"][0]["subject"]["part"] == "dataset"
    assert document["state"]["lineage"] is None  # no state file yet
    assert set(document["files_seen"]) == {ORDERS}
    assert document["remote_seen"][CUSTOMERS]["last_updated"]


def test_targets_and_excludes_limit_the_plan(project: Project) -> None:
    project.write(ORDERS, contract(ORDERS))
    project.write(SESSIONS, stub(SESSIONS))
    only_warehouse = actions(project.plan_json("--target", "warehouse/**"))
    assert only_warehouse == {ORDERS: "create"}
    without_orders = actions(project.plan_json("--exclude", "**/orders"))
    assert without_orders == {SESSIONS: "generate-skeleton"}


def test_unmanaged_contracts_are_reported(project: Project) -> None:
    project.write(ORDERS, contract(ORDERS))
    result = project.plan()
    assert "Unmanaged" in result.stdout
    assert f"? {CUSTOMERS}" in result.stdout
    assert "1 unmanaged" in result.stdout


def test_markdown_for_3000_changed_contracts_fits_a_github_comment(
    tmp_path: Path, start_emulator: EmulatorFactory
) -> None:
    cloud = start_emulator(bulk_seed(3000, contracts=3000))
    project = Project(tmp_path, cloud)
    project.write_all(
        {dataset_name(i): contract_text(dataset_name(i), threshold=4) for i in range(3000)}
    )
    # Half of them also lose a column the contract in Cloud has: breaking.
    for i in range(0, 3000, 2):
        name = dataset_name(i)
        project.write(name, f"dataset: {name}\ncolumns:\n  - name: key\n    data_type: integer\n")
    result = project.plan("--format", "markdown", "--engine", "off")  # the renderer's test
    assert result.exit_code == 0
    markdown = result.stdout
    assert len(markdown) <= GITHUB_COMMENT_LIMIT
    assert (
        "**Plan: 0 to create, 3000 to publish (1500 breaking), 3000 to verify, 0 unchanged"
        in markdown
    )
    assert "> **1500 breaking changes**" in markdown
    assert "... and 1475 more" in markdown
    assert "sections left out" in markdown
    assert markdown.count("<details>") == markdown.count("</details>")
