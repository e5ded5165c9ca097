"""The gate at apply: ``apply --fail-on drift`` never overwrites a change made in the Soda Cloud
UI that the plan did not expect; without it, apply overwrites the change and says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulator import RunningEmulator
from reconciler.emulator.samples import CUSTOMERS, CUSTOMERS_CONTRACT
from tests.project import Project, requests

PUBLISH = "POST /api/v1/contracts/{contractId}"
UI_EDIT = CUSTOMERS_CONTRACT + "description: edited in the UI\n"
GIT_EDIT = CUSTOMERS_CONTRACT + "description: edited in git\n"


@pytest.fixture
def project(tmp_path: Path, emulator: RunningEmulator) -> Project:
    """CUSTOMERS applied from git, then changed in git and (by Jane) in the Soda Cloud UI."""
    made = Project(tmp_path, emulator)
    made.write(CUSTOMERS, CUSTOMERS_CONTRACT)
    assert made.apply("--auto-approve").exit_code == 0
    made.write(CUSTOMERS, GIT_EDIT)
    return made


def ui_edit(project: Project) -> None:
    project.cloud.admin.edit_contract(CUSTOMERS, UI_EDIT, "jane")


def test_a_fresh_apply_refuses_to_overwrite_a_change_made_in_the_ui(project: Project) -> None:
    ui_edit(project)
    before = (project.versions(), project.state().serial, requests(project.cloud, PUBLISH))

    result = project.apply("--auto-approve", "--fail-on", "drift")

    assert result.exit_code == 1, result.output
    assert f"{CUSTOMERS}: changed in Soda Cloud since the last apply" in result.output
    assert "by jane" in result.output
    assert "nothing was applied (--fail-on drift)" in result.output
    assert "reconciler import --force" in result.output  # how to keep the UI's change
    after = (project.versions(), project.state().serial, requests(project.cloud, PUBLISH))
    assert after == before
    assert project.cloud.admin.state().contract_for(CUSTOMERS).contents == UI_EDIT  # type: ignore[union-attr]


def test_without_the_gate_apply_overwrites_the_change_and_says_so(project: Project) -> None:
    ui_edit(project)

    result = project.apply("--auto-approve")

    assert result.exit_code == 0, result.output
    assert "publishing overwrites it" in result.output  # the plan it showed
    assert "published, overwrote the change made in Soda Cloud outside git" in result.output
    assert project.cloud.admin.state().contract_for(CUSTOMERS).contents == GIT_EDIT  # type: ignore[union-attr]


def test_a_saved_plan_applies_the_drift_it_showed_and_refuses_drift_it_did_not(
    project: Project,
) -> None:
    ui_edit(project)
    older = project.root / "older.json"
    assert project.plan("--out", str(older)).exit_code == 0  # shows Jane's drift
    project.cloud.admin.edit_contract(CUSTOMERS, UI_EDIT + "# a third time\n", "joe")

    refused = project.run(
        "apply", str(older), "--state", str(project.state_path), "--fail-on", "drift"
    )

    assert refused.exit_code == 1, refused.output
    assert "which the saved plan did not show" in refused.output
    assert "by jane, joe" in refused.output
    assert (
        project.cloud.admin.state()
        .contract_for(CUSTOMERS)
        .contents.endswith(  # type: ignore[union-attr]
            "# a third time\n"
        )
    )
    current = project.root / "current.json"
    assert project.plan("--out", str(current)).exit_code == 0
    applied = project.run(
        "apply", str(current), "--state", str(project.state_path), "--fail-on", "drift"
    )
    assert applied.exit_code == 0, applied.output
    assert project.cloud.admin.state().contract_for(CUSTOMERS).contents == GIT_EDIT  # type: ignore[union-attr]


def test_the_gate_lets_an_apply_without_drift_through(project: Project) -> None:
    result = project.apply("--auto-approve", "--fail-on", "drift")

    assert result.exit_code == 0, result.output
    assert "overwrote" not in result.output
    assert project.cloud.admin.state().contract_for(CUSTOMERS).contents == GIT_EDIT  # type: ignore[union-attr]
