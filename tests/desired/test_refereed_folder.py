"""The folder as the commands read it: Soda's engine referees every file (in the worker
processes too), ``rules:`` and ``# reconciler: ignore`` weigh the diagnostics, and the model
reads values as the engine does."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli.main import main
from reconciler.contract.model import MissingEntry
from reconciler.desired import load_desired, parallel
from tests import shop
from tests.desired.helpers import write

# Scopes are the engine's to judge: our rules pass this file, the engine refuses it.
UNKNOWN_SCOPE = (
    "dataset: pg/orders\ncolumns: []\nscopes:\n  eu:\n    name: Europe\n"
    "checks:\n  - row_count:\n      scope: us\n"
)
# Our check-placement rule refuses a dataset check on a column; the engine runs it.
PLACED_ON_A_COLUMN = "dataset: pg/orders\ncolumns:\n  - name: id\n    checks:\n      - row_count:\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def validate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", *args])
    return result.exit_code, result.stdout + result.stderr


@shop.needs_engine
def test_validate_refuses_what_the_engine_refuses_and_engine_off_does_not_ask_it(
    project: Path,
) -> None:
    write(project, "contracts/pg/orders.yml", UNKNOWN_SCOPE)

    code, out = validate()
    assert code == 1
    assert "contracts/pg/orders.yml:8:14: error: Soda's engine refuses the contract" in out
    assert "unknown scope 'us'" in out
    assert "[engine]" in out

    assert validate("--engine", "off")[0] == 0
    (project / "reconciler.yml").write_text("engine: off\n")
    assert validate()[0] == 0
    assert validate("--engine", "on")[0] == 1


@shop.needs_engine
def test_where_the_engine_accepts_a_file_our_refusal_only_warns(project: Path) -> None:
    write(project, "contracts/pg/orders.yml", PLACED_ON_A_COLUMN)

    code, out = validate()
    assert code == 0
    assert "warning:" in out
    assert "[check-placement]" in out
    assert "Soda's engine accepts this contract, so this rule of ours only warns." in out
    assert validate("--engine", "off")[0] == 1


@shop.needs_engine
def test_rules_in_reconciler_yml_weigh_the_refereed_diagnostics(project: Path) -> None:
    write(project, "contracts/pg/orders.yml", PLACED_ON_A_COLUMN)
    (project / "reconciler.yml").write_text("rules:\n  check-placement: error\n")
    assert validate()[0] == 1
    (project / "reconciler.yml").write_text("rules:\n  check-placement: off\n")
    assert validate("--engine", "off") == (0, "0 errors and 0 warnings in 1 file\n")


def test_an_ignore_comment_silences_its_line_and_a_rule_setting_the_whole_project(
    project: Path,
) -> None:
    write(
        project,
        "contracts/pg/orders.yml",
        "dataset: pg/orders\ncolumns:\n  - name: id\n    checks:\n"
        "      - row_count:  # reconciler: ignore check-placement -- counted per column\n",
    )
    write(project, "contracts/pg/items.yml", PLACED_ON_A_COLUMN.replace("orders", "items"))
    code, out = validate("--engine", "off")
    assert code == 1
    assert "contracts/pg/orders.yml" not in out
    assert "contracts/pg/items.yml:5:9: error:" in out

    (project / "contracts/pg/items.yml").unlink()
    write(project, "contracts/elsewhere.yml", "dataset: pg/elsewhere\ncolumns: []\n")
    assert validate("--engine", "off")[0] == 0
    (project / "reconciler.yml").write_text("rules:\n  path-mismatch: error\n")
    code, out = validate("--engine", "off")
    assert code == 1
    assert "error: the file path does not mirror dataset 'pg/elsewhere'" in out


def test_an_error_of_the_engine_cannot_be_set_in_reconciler_yml(project: Path) -> None:
    write(project, "contracts/pg/orders.yml", PLACED_ON_A_COLUMN)
    (project / "reconciler.yml").write_text("rules:\n  engine: warning\n")
    code, out = validate("--engine", "off")
    assert code == 1
    assert "'engine' (an error of Soda's engine) cannot be silenced" in out


@shop.needs_engine
def test_worker_processes_referee_each_file_as_one_process_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(6):
        text = UNKNOWN_SCOPE if number % 2 else PLACED_ON_A_COLUMN
        write(tmp_path, f"pg/t{number}.yml", text.replace("pg/orders", f"pg/t{number}"))
    serial = load_desired(tmp_path, workers=1, engine=True)
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 2)
    in_workers = load_desired(tmp_path, workers=2, engine=True)

    assert in_workers.diagnostics == serial.diagnostics
    assert sorted(in_workers.contracts) == ["pg/t0", "pg/t2", "pg/t4"]
    assert {d.rule for d in serial.diagnostics} == {"engine", "check-placement"}


def test_the_model_reads_a_variable_threshold_as_the_engine_does(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pg/orders.yml",
        "dataset: pg/orders\nvariables:\n  MAX:\n    default: 10\ncolumns:\n  - name: id\n"
        "    checks:\n      - missing:\n          threshold:\n"
        "            must_be_less_than: ${var.MAX}\n",
    )
    desired = load_desired(tmp_path)
    model = desired.contracts["pg/orders"].model
    assert model is not None
    [entry] = model.columns[0].checks or []
    assert isinstance(entry, MissingEntry)
    threshold = entry.missing.threshold
    assert threshold is not None
    # As written the bound is the text '${var.MAX}'; the engine reads the number 10.
    assert threshold.must_be_less_than == 10
