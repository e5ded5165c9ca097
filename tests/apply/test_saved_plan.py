"""A saved plan is applied only as the reconciler wrote it: a hand edit is named as such by
the digest, and an entry the planner would not make from the plan's basis is refused even
when its forger recomputed the digest. Refused means nothing changed anywhere."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import RunningEmulator
from reconciler.emulator.samples import CUSTOMERS, CUSTOMERS_CONTRACT, ORDERS
from reconciler.plan.file import plan_digest
from reconciler.state import Change, Verification, journal_path_for
from reconciler.state.changes import JournalFile
from tests.plan.support import contract
from tests.project import Project

GHOST = "warehouse/analytics/public/ghost"
WRITES = (
    "POST /api/v1/contracts",
    "POST /api/v1/contracts/{contractId}",
    "POST /api/v1/contracts/{contractId}/verify",
    "POST /api/v1/contracts/skeleton",
)
EDITED_CUSTOMERS = CUSTOMERS_CONTRACT + "  - schema:\n"

Document = dict[str, Any]


@pytest.fixture
def project(tmp_path: Path, emulator: RunningEmulator) -> Project:
    """In sync with Soda Cloud, then customers edited: the plan publishes customers and has
    nothing to do for orders."""
    project = Project(tmp_path, emulator)
    project.write(ORDERS, contract(ORDERS))
    project.write(CUSTOMERS, CUSTOMERS_CONTRACT)
    assert project.apply("--auto-approve").exit_code == 0
    project.write(CUSTOMERS, EDITED_CUSTOMERS)
    return project


def saved_plan(project: Project) -> tuple[Path, Document]:
    path = project.root / "plan.json"
    assert project.plan("--out", str(path)).exit_code == 0
    document: Document = json.loads(path.read_text())
    assert {d["dataset"]: d["action"] for d in document["datasets"]} == {
        CUSTOMERS: "publish",
        ORDERS: "no-op",
    }
    return path, document


def entry(document: Document, dataset: str) -> Document:
    found: Document = next(d for d in document["datasets"] if d["dataset"] == dataset)
    return found


def skeleton_over_the_file(document: Document) -> None:
    entry(document, CUSTOMERS)["action"] = "generate-skeleton"


def no_op_made_publish(document: Document) -> None:
    entry(document, ORDERS)["action"] = "publish"


def renamed_to_a_dataset_without_a_file(document: Document) -> None:
    entry(document, CUSTOMERS)["dataset"] = GHOST


TAMPERINGS: dict[str, tuple[Callable[[Document], None], str]] = {
    "publish-to-skeleton": (
        skeleton_over_the_file,
        f"{CUSTOMERS}: action is 'generate-skeleton' in the plan; the planner decides "
        "'publish' from the plan's basis",
    ),
    "no-op-to-publish": (
        no_op_made_publish,
        f"{ORDERS}: action is 'publish' in the plan; the planner decides 'no-op' from the "
        "plan's basis",
    ),
    "renamed": (
        renamed_to_a_dataset_without_a_file,
        f"{GHOST}: an entry for a dataset whose file the plan never saw",
    ),
}


def apply_saved(project: Project, path: Path) -> Any:
    return project.run(
        "apply", str(path), "--dir", str(project.contracts), "--state", str(project.state_path)
    )


def assert_nothing_changed(project: Project, run: Callable[[], Any]) -> Any:
    files = {p: p.read_bytes() for p in project.contracts.rglob("*.yml")}
    state = project.state_path.read_bytes()
    versions = project.versions()
    before = project.cloud.admin.stats()
    result = run()
    after = project.cloud.admin.stats()
    assert [after.count(w) - before.count(w) for w in WRITES] == [0] * len(WRITES)
    assert project.versions() == versions
    assert project.state_path.read_bytes() == state
    assert {p: p.read_bytes() for p in project.contracts.rglob("*.yml")} == files
    return result


@pytest.mark.parametrize("forged_digest", [False, True], ids=["hand-edited", "digest-forged"])
@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_a_tampered_saved_plan_is_refused_naming_the_entry_and_nothing_changes(
    project: Project, tampering: str, forged_digest: bool
) -> None:
    path, document = saved_plan(project)
    edit, named = TAMPERINGS[tampering]
    edit(document)
    if forged_digest:
        document["digest"] = plan_digest(document)
    path.write_text(json.dumps(document, indent=2))

    result = assert_nothing_changed(project, lambda: apply_saved(project, path))

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "nothing was applied" in result.output
    assert named in result.output
    edited = "the plan file was edited by hand: its digest does not match its content"
    assert (edited in result.output) is not forged_digest


def test_a_forged_dataset_name_is_shown_escaped(project: Project) -> None:
    path, document = saved_plan(project)
    entry(document, CUSTOMERS)["dataset"] = "warehouse/\x1b[2Jcleared\u202e"
    document["digest"] = plan_digest(document)
    path.write_text(json.dumps(document))
    result = assert_nothing_changed(project, lambda: apply_saved(project, path))
    assert result.exit_code == 1
    assert "warehouse/\\x1b[2Jcleared\\u202e: an entry for a dataset" in result.output
    assert "\x1b" not in result.output
    assert "\u202e" not in result.output


def test_an_edit_outside_the_entries_is_still_named_as_a_hand_edit(project: Project) -> None:
    path, document = saved_plan(project)
    document["warnings"] = ["all fine, ship it"]
    path.write_text(json.dumps(document))  # formatting alone would not matter
    result = assert_nothing_changed(project, lambda: apply_saved(project, path))
    assert result.exit_code == 1
    assert "edited by hand: its digest does not match" in result.output


def test_a_plan_reformatted_but_unchanged_is_applied(project: Project) -> None:
    path, document = saved_plan(project)
    path.write_text(json.dumps(document, indent=4, sort_keys=True))
    result = apply_saved(project, path)
    assert result.exit_code == 0, result.output
    cloud = project.cloud.admin.state().contract_for(CUSTOMERS)
    assert cloud is not None
    assert cloud.contents == EDITED_CUSTOMERS


def test_a_plan_applied_with_the_folder_named_otherwise_is_still_the_same_plan(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    path = project.root / "plan.json"
    planned = project.run(
        "plan", "contracts", "--state", str(project.state_path), "--out", str(path)
    )
    assert planned.exit_code == 0, planned.output
    result = apply_saved(project, path)  # --dir: the absolute path
    assert result.exit_code == 0, result.output


def test_a_plan_of_the_older_format_is_refused_with_the_way_out(project: Project) -> None:
    path, document = saved_plan(project)
    del document["digest"]
    document["format_version"] = 1
    path.write_text(json.dumps(document))
    result = assert_nothing_changed(project, lambda: apply_saved(project, path))
    assert result.exit_code == 1
    assert "a saved plan of format_version 1, made by an older reconciler" in result.output
    assert "reads format_version 4" in result.output
    assert "reconciler plan --out FILE" in result.output


def test_a_plan_saved_beside_a_killed_applys_journal_is_applied_after_its_compaction(
    project: Project,
) -> None:
    base = project.state()
    verification = Verification(scan_id="scan-left", state="completed")
    left = JournalFile(journal_path_for(project.state_path), base, lambda: None)
    left.append([Change(verified={ORDERS: verification})])
    left.close()
    path, document = saved_plan(project)
    assert document["state"]["serial"] == base.serial + 1

    result = apply_saved(project, path)

    assert result.exit_code == 0, result.output
    assert not journal_path_for(project.state_path).exists()
    state = project.state()
    assert state.datasets[ORDERS].last_verification == verification
    assert state.datasets[CUSTOMERS].raw_sha256 != base.datasets[CUSTOMERS].raw_sha256
