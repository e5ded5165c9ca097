"""reconciler state rebuild: the state recreated from Soda Cloud and the folder."""

from __future__ import annotations

from pathlib import Path

from reconciler.emulator import RunningEmulator
from reconciler.emulator.samples import CUSTOMERS, CUSTOMERS_CONTRACT, ORDERS
from reconciler.state import Change, StateFile, StateStore, journal_path_for
from reconciler.state.changes import JournalFile
from tests.plan.support import contract
from tests.project import Project, actions


def test_rebuild_records_what_matches_and_the_next_plan_agrees(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    project = Project(tmp_path, emulator)
    project.write(CUSTOMERS, CUSTOMERS_CONTRACT)
    project.write(ORDERS, contract(ORDERS))
    assert project.apply("--auto-approve").exit_code == 0
    lineage = project.state().lineage
    project.write(ORDERS, contract(ORDERS, threshold="must_be_less_than: 2"))  # git ahead of Cloud
    project.state_path.write_text("{ not json")

    result = project.run(
        "state", "rebuild", str(project.contracts), "--state", str(project.state_path)
    )
    assert result.exit_code == 0, result.output
    assert "Replacing an unreadable state" in result.output
    assert "1 datasets recorded" in result.output
    state = project.state()
    assert set(state.datasets) == {CUSTOMERS}
    # It continues the lineage of the last good copy, the backup, which it keeps.
    assert state.lineage == lineage
    assert StateStore(project.state_path.with_name("state.json.backup")).load().lineage == lineage
    assert actions(project.plan_json()) == {CUSTOMERS: "no-op", ORDERS: "publish"}

    # A readable state keeps its lineage.
    again = project.run(
        "state", "rebuild", str(project.contracts), "--state", str(project.state_path)
    )
    assert again.exit_code == 0, again.output
    assert project.state().lineage == state.lineage


def test_rebuild_replaces_a_journal_of_another_state_and_keeps_the_lineage(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    project = Project(tmp_path, emulator)
    project.write(CUSTOMERS, CUSTOMERS_CONTRACT)
    assert project.apply("--auto-approve").exit_code == 0
    state = project.state()
    project.state_path.with_name("state.json.backup").unlink()
    other = JournalFile(journal_path_for(project.state_path), StateFile.new(), lambda: None)
    other.append([Change(pending={CUSTOMERS: None})])
    other.close()

    refused = project.plan()
    assert refused.exit_code == 1
    assert "the state's journal continues the state of lineage" in refused.output

    result = project.run(
        "state", "rebuild", str(project.contracts), "--state", str(project.state_path)
    )
    assert result.exit_code == 0, result.output
    assert not journal_path_for(project.state_path).exists()
    rebuilt = project.state()
    assert rebuilt.lineage == state.lineage
    assert set(rebuilt.datasets) == {CUSTOMERS}
    assert actions(project.plan_json()) == {CUSTOMERS: "no-op"}
