"""``reconciler import`` over real HTTP against the local Soda Cloud, then ``plan``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.emulator import RunningEmulator
from reconciler.emulator.samples import CUSTOMERS_CONTRACT
from reconciler.state import StateStore
from tests.audit.support import CUSTOMERS, EVENTS, ORDERS, Project, contract


@pytest.fixture
def project(tmp_path: Path, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.chdir(tmp_path)
    return Project(tmp_path, emulator)


def files_below(path: Path) -> list[str]:
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if not p.is_dir())


def edited_in_ui(cloud: RunningEmulator, dataset: str, text: str) -> None:
    cloud.admin.edit_contract(dataset, text, creator_id="alice@example.com")


def test_import_writes_unmanaged_contracts_byte_for_byte_and_plan_is_then_a_no_op(
    project: Project,
) -> None:
    # Text as a person saves it in the UI: CRLF, a comment, odd spacing, no final newline.
    orders = f"dataset: {ORDERS}\r\n# owned by finance\r\ncolumns:\r\n  - name:   id\r\n    data_type: integer"
    edited_in_ui(project.cloud, ORDERS, orders)

    result = project.import_()

    assert result.exit_code == 0, result.output
    assert (project.contracts / f"{CUSTOMERS}.yml").read_bytes() == CUSTOMERS_CONTRACT.encode()
    assert (project.contracts / f"{ORDERS}.yml").read_bytes() == orders.encode()
    assert f"+ written  {CUSTOMERS}  " in result.stdout
    assert f"+ written  {ORDERS}  " in result.stdout
    assert "Import: 2 written, 0 replaced, 0 skipped, 0 refused." in result.stdout
    cloud = project.cloud.admin.state()
    records = project.state().datasets
    assert sorted(records) == [CUSTOMERS, ORDERS]
    for dataset in (CUSTOMERS, ORDERS):
        remote = cloud.contract_for(dataset)
        assert remote is not None
        assert records[dataset].contract_id == remote.id
        assert records[dataset].last_updated == remote.last_updated

    plan = project.plan()
    assert plan.exit_code == 0, plan.output
    assert "No changes" in plan.stdout


def test_import_takes_only_what_the_globs_match_and_reports_globs_matching_nothing(
    project: Project,
) -> None:
    edited_in_ui(project.cloud, ORDERS, contract(ORDERS))

    result = project.import_("**/orders", "nowhere/*")

    assert result.exit_code == 1
    assert files_below(project.contracts) == [f"{ORDERS}.yml"]
    assert "no contract in Soda Cloud matches 'nowhere/*'" in result.stderr
    assert sorted(project.state().datasets) == [ORDERS]


def test_an_existing_file_is_kept_without_force_and_replaced_with_it(project: Project) -> None:
    mine = project.write(CUSTOMERS, contract(CUSTOMERS, "id:integer", "note:varchar"))
    before = mine.read_bytes()

    kept = project.import_(CUSTOMERS)

    assert kept.exit_code == 0
    assert mine.read_bytes() == before
    assert f"= skipped  {CUSTOMERS}  {mine.as_posix()}" in kept.stdout
    assert f"`reconciler import --force {CUSTOMERS}` overwrites it" in kept.stdout
    assert project.state().datasets == {}

    forced = project.import_("--force", CUSTOMERS)

    assert forced.exit_code == 0, forced.output
    assert mine.read_bytes() == CUSTOMERS_CONTRACT.encode()
    assert f"~ replaced {CUSTOMERS}" in forced.stdout
    assert list(project.state().datasets) == [CUSTOMERS]
    assert project.plan().exit_code == 0


def test_force_fills_a_stub_in_place_instead_of_writing_a_duplicate(project: Project) -> None:
    stub = project.contracts / "drafts" / "customers.yml"
    stub.parent.mkdir()
    stub.write_text(f"dataset: {CUSTOMERS}\n")

    unforced = project.import_(CUSTOMERS)
    assert unforced.exit_code == 0
    assert "a file for it exists at drafts/customers.yml" in unforced.stdout
    assert stub.read_text() == f"dataset: {CUSTOMERS}\n"

    forced = project.import_("--force", CUSTOMERS)

    assert forced.exit_code == 0, forced.output
    assert stub.read_bytes() == CUSTOMERS_CONTRACT.encode()
    assert files_below(project.contracts) == ["drafts/customers.yml"]
    plan = project.plan()
    assert plan.exit_code == 0, plan.output


HOSTILE = [
    "warehouse/../../../../tmp/escaped",
    "warehouse/./here",
    "warehouse/a\\..\\..\\b",
    "warehouse/CON",
    "warehouse/aux.backup",
    "warehouse/trailing.",
    "warehouse/trailing ",
    "warehouse/.hidden",
    "warehouse/drive:c",
    "warehouse/" + "x" * 300,
    "warehouse/bell\x07",
    "warehouse/nul\x00byte",
    "warehouse/esc\x1b[2Jape",
    "warehouse/invoice\u202egpj.exe",
    "warehouse/old.yml/orders",
]


def yaml_quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in escaped) + '"'


def test_hostile_dataset_names_are_refused_and_nothing_leaves_the_folder(
    project: Project, tmp_path: Path
) -> None:
    admin = project.cloud.admin
    for name in HOSTILE:
        admin.add_dataset(name, columns=[("id", "integer")])
        admin.edit_contract(name, f"dataset: {yaml_quoted(name)}\ncolumns:\n  - name: id\n")
    assert len(admin.state().contracts) == len(HOSTILE) + 1
    escape_target = (project.contracts / (HOSTILE[0] + ".yml")).resolve()
    assert not escape_target.is_relative_to(project.contracts.resolve())

    result = project.import_()

    assert result.exit_code == 1
    # The one good contract still imports.
    assert files_below(project.contracts) == [f"{CUSTOMERS}.yml"]
    assert sorted(project.state().datasets) == [CUSTOMERS]
    assert sorted(os.listdir(tmp_path)) == [".reconciler", "contracts"]
    assert not escape_target.exists()
    assert files_below(project.state_path.parent) == ["state.json"]
    refused = [line for line in result.stdout.splitlines() if line.startswith("! refused")]
    assert len(refused) == len(HOSTILE)
    for line in refused:
        assert "\x1b" not in line
        assert "\x00" not in line
        assert "\x07" not in line
    assert "'..', which would leave the contracts folder" in result.stdout
    assert "reserved on Windows" in result.stdout
    assert "the name holds a NUL character" in result.stdout
    assert "warehouse/esc\\x1b[2Jape" in result.stdout
    assert f"Import: 1 written, 0 replaced, 0 skipped, {len(HOSTILE)} refused." in result.stdout
    assert f"Error: {len(HOSTILE)} datasets were refused" in result.stderr


def test_a_planted_link_out_of_the_folder_is_not_followed(project: Project, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (project.contracts / "warehouse").symlink_to(outside, target_is_directory=True)

    result = project.import_()

    assert result.exit_code == 1
    assert files_below(outside) == []
    assert "warehouse is a symbolic link or a file, not a folder" in result.stdout
    assert project.state().datasets == {}


def test_import_waits_for_no_one_it_refuses_while_another_run_holds_the_lock(
    project: Project,
) -> None:
    with StateStore(project.state_path).lock("apply"):
        result = project.import_()
    assert result.exit_code == 1
    assert "apply" in result.stderr
    assert files_below(project.contracts) == []


def test_nothing_to_import_when_every_contract_has_a_file(project: Project) -> None:
    project.write(CUSTOMERS, CUSTOMERS_CONTRACT)
    project.write(EVENTS, contract(EVENTS))
    result = project.import_()
    assert result.exit_code == 0
    assert "Nothing to import" in result.stdout
    assert not project.state_path.exists()
