"""``reconciler import --drifted`` over real HTTP against the local Soda Cloud: a change made in
its "UI" comes back into git byte for byte, and the next plan and audit are clean; a file
with changes never applied is refused, named, and left as it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulator import RunningEmulator
from tests.audit.support import CUSTOMERS, ORDERS, Project, contract


@pytest.fixture
def project(tmp_path: Path, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.chdir(tmp_path)
    project = Project(tmp_path, emulator)
    project.write(CUSTOMERS, contract(CUSTOMERS, "id:integer", "email:varchar", checks="missing"))
    project.write(ORDERS, contract(ORDERS, "id:integer", "total:decimal"))
    applied = project.apply("--auto-approve")
    assert applied.exit_code == 0, applied.output
    return project


def edited_in_ui(cloud: RunningEmulator, dataset: str, text: str) -> None:
    cloud.admin.edit_contract(dataset, text, creator_id="erin@example.com")


def test_a_change_made_in_the_ui_comes_back_into_git_and_plan_and_audit_are_clean(
    project: Project,
) -> None:
    # As a person saves it in the UI: a comment, CRLF line endings, no final newline.
    edited = contract(CUSTOMERS, "id:integer", "email:varchar", checks="duplicate")
    edited = edited.replace("\n", "\r\n").rstrip("\r\n") + "  # by Erin"
    edited_in_ui(project.cloud, CUSTOMERS, edited)
    assert project.audit().exit_code == 4

    result = project.import_("--drifted")

    assert result.exit_code == 0, result.output
    assert project.path_of(CUSTOMERS).read_bytes() == edited.encode()
    assert f"~ replaced {CUSTOMERS}  " in result.stdout
    assert "Import: 0 written, 1 replaced, 0 skipped, 0 refused." in result.stdout
    remote = project.cloud.admin.state().contract_for(CUSTOMERS)
    assert remote is not None
    assert project.state().datasets[CUSTOMERS].last_updated == remote.last_updated
    plan = project.plan()
    assert plan.exit_code == 0, plan.output
    assert "No changes" in plan.stdout
    audit = project.audit()
    assert audit.exit_code == 0, audit.output
    again = project.import_("--drifted")
    assert "Nothing to import: no contract drifted in Soda Cloud since the last apply." in (
        again.stdout
    )


def test_a_file_with_changes_never_applied_is_refused_and_kept(project: Project) -> None:
    edited_in_ui(project.cloud, CUSTOMERS, contract(CUSTOMERS, "id:integer", "email:text"))
    edited_in_ui(project.cloud, ORDERS, contract(ORDERS, "id:integer", "total:numeric"))
    mine = contract(CUSTOMERS, "id:integer", "email:varchar", "name:varchar", checks="missing")
    project.write(CUSTOMERS, mine)  # a change of git's, not applied yet

    result = project.import_("--drifted")

    assert result.exit_code == 1
    assert project.read(CUSTOMERS) == mine
    assert f"! refused  {CUSTOMERS}  {project.contracts}/{CUSTOMERS}.yml" in result.stdout
    assert "(the file has changes that were never applied" in result.stdout
    assert "1 dataset was refused" in result.stderr
    # The other drifted dataset is brought in all the same.
    assert project.read(ORDERS) == contract(ORDERS, "id:integer", "total:numeric")


def test_globs_choose_among_the_drifted_and_undrifted_files_are_never_touched(
    project: Project,
) -> None:
    edited_in_ui(project.cloud, CUSTOMERS, contract(CUSTOMERS, "id:integer", "email:text"))
    edited_in_ui(project.cloud, ORDERS, contract(ORDERS, "id:integer", "total:numeric"))
    before = project.read(CUSTOMERS)

    result = project.import_("--drifted", "**/orders")

    assert result.exit_code == 0, result.output
    assert project.read(CUSTOMERS) == before
    assert project.read(ORDERS) == contract(ORDERS, "id:integer", "total:numeric")


def test_drifted_takes_no_force(project: Project) -> None:
    result = project.import_("--drifted", "--force")

    assert result.exit_code == 1  # a usage mistake, as every error
    assert "no --force" in result.output
