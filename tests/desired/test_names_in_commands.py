"""One rule for dataset names, in every command: validate, plan and apply refuse what import
refuses, and all of them warn about look-alike letters."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulator import RunningEmulator
from tests.audit.support import Project, contract
from tests.project import requests

RTL_OVERRIDE = "warehouse/analytics/public/invoice\u202egpj"
DOT_DOT = "warehouse/analytics/../public/orders"
LOOKALIKE = "warehouse/analytics/public/\u0441ustomers"  # a Cyrillic 'с'


@pytest.fixture
def project(tmp_path: Path, emulator: RunningEmulator) -> Project:
    return Project(tmp_path, emulator)


def write_named(project: Project, file: str, dataset: str) -> None:
    path = project.contracts / file
    path.parent.mkdir(parents=True, exist_ok=True)
    escaped = "".join(ch if ch.isascii() else f"\\u{ord(ch):04x}" for ch in dataset)
    path.write_text(contract(dataset).replace(f"dataset: {dataset}", f'dataset: "{escaped}"'))


@pytest.mark.parametrize(
    ("dataset", "rule"),
    [(DOT_DOT, "dataset-name"), (RTL_OVERRIDE, "dataset-name-character")],
    ids=["dot-dot", "rtl-override"],
)
def test_a_bad_name_stops_validate_plan_and_apply_without_strict(
    project: Project, dataset: str, rule: str
) -> None:
    write_named(project, "bad.yml", dataset)
    validate = project.run("validate", str(project.contracts))
    assert validate.exit_code == 1
    assert f"[{rule}]" in validate.output or rule in validate.output
    assert "\u202e" not in validate.output

    assert project.plan().exit_code == 1
    applied = project.apply("--auto-approve")
    assert applied.exit_code == 1
    assert "nothing was planned or applied" in applied.output
    assert requests(project.cloud, "GET /api/v1/contracts", "POST /api/v1/contracts") == [0, 0]


def test_a_look_alike_name_is_a_warning_in_validate_and_in_import(project: Project) -> None:
    write_named(project, f"{LOOKALIKE}.yml", LOOKALIKE)
    validate = project.run("validate", str(project.contracts))
    assert validate.exit_code == 0, validate.output
    assert "dataset-name-lookalike" in validate.output
    assert "U+0441 CYRILLIC SMALL LETTER ES" in validate.output

    (project.contracts / f"{LOOKALIKE}.yml").unlink()
    project.cloud.admin.add_dataset(LOOKALIKE, columns=[("id", "integer")])
    project.cloud.admin.edit_contract(LOOKALIKE, contract(LOOKALIKE))
    imported = project.import_(LOOKALIKE)
    assert imported.exit_code == 0, imported.output
    assert (project.contracts / f"{LOOKALIKE}.yml").exists()
    assert "warning: part 4" in imported.stdout
