"""The state belongs to its project: a state of another contracts folder or another Soda Cloud
is refused by every command that reads it, before anything is asked or changed."""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.emulator import RunningEmulator
from reconciler.emulator.samples import CUSTOMERS, CUSTOMERS_CONTRACT, ORDERS
from reconciler.state import StateProject, StateStore
from tests.plan.support import contract
from tests.project import Project
from tests.state.factories import record


def _shown(project: Project) -> str:
    """The contracts folder as a state records it: from the project directory (the one a
    command runs in, as it holds no reconciler.yml)."""
    return Path(os.path.relpath(project.contracts.resolve(), project.root.resolve())).as_posix()


def test_a_state_of_another_contracts_folder_is_refused_until_rebuilt(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    first = Project(tmp_path / "first", emulator)
    first.write(CUSTOMERS, CUSTOMERS_CONTRACT)
    assert first.apply("--auto-approve").exit_code == 0
    recorded = first.state().project
    assert recorded == StateProject(contracts=_shown(first), host=emulator.url)

    second = Project(tmp_path / "second", emulator)
    second.contracts = second.root / "data-contracts"
    second.write(ORDERS, contract(ORDERS))
    second.state_path = first.state_path  # as a wrong --state would
    before = first.state_path.read_bytes()
    requests_before = emulator.admin.stats().total

    audit = ("audit", str(second.contracts), "--state", str(second.state_path))
    for result in (second.plan(), second.apply("--auto-approve"), second.run(*audit)):
        assert result.exit_code == 1, result.output
        assert result.stderr.splitlines()[0] == (
            f"Error: {first.state_path}: this state belongs to another project: contracts "
            f'folder "{_shown(first)}" on {emulator.url}; this command\'s project is '
            f'contracts folder "{_shown(second)}" on {emulator.url}'
        )
        assert "hint: Point --state" in result.stderr
        assert "`reconciler state rebuild`" in result.stderr
    assert emulator.admin.stats().total == requests_before, "refused before asking anything"
    assert first.state_path.read_bytes() == before
    assert emulator.admin.state().contract_for(ORDERS) is None

    rebuilt = second.run(
        "state", "rebuild", str(second.contracts), "--state", str(second.state_path)
    )
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Replacing a state that is not this project's" in rebuilt.stderr
    state = second.state()
    assert state.project == StateProject(contracts=_shown(second), host=emulator.url)
    assert set(state.datasets) == set()  # its one file has no contract in Soda Cloud yet
    assert second.plan().exit_code == 0


def test_a_state_of_another_soda_cloud_is_refused(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    project = Project(tmp_path, emulator)
    project.write(CUSTOMERS, CUSTOMERS_CONTRACT)
    elsewhere = StateProject(contracts=_shown(project), host="https://cloud.soda.io")
    store = StateStore(project.state_path, project=elsewhere)
    with store.lock("apply"):
        store.save(store.load().with_record(CUSTOMERS, record(1)))
    before = project.state_path.read_bytes()

    result = project.apply("--auto-approve")

    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[0] == (
        f"Error: {project.state_path}: this state belongs to another project: contracts "
        f'folder "{_shown(project)}" on https://cloud.soda.io; this command\'s '
        f'project is contracts folder "{_shown(project)}" on {emulator.url}'
    )
    assert emulator.admin.stats().total == 0
    assert project.state_path.read_bytes() == before
