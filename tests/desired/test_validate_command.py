"""``reconciler validate``: output formats, exit codes, --var, --strict and the default folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli.main import main
from tests.desired.helpers import contract, write

TYPO = "dataset: pg/orders\ncolumns:\n  - name: id\n    checks:\n      - missing:\n          treshold: {must_be: 0}\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["validate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_valid_folder_exits_0_with_a_summary(project: Path) -> None:
    write(project, "contracts/pg/orders.yml", contract("pg/orders"))
    code, out, err = run()
    assert (code, out, err) == (0, "0 errors and 0 warnings in 1 file\n", "")


def test_errors_are_listed_with_their_place_and_exit_1(project: Path) -> None:
    write(project, "contracts/pg/orders.yml", TYPO)
    write(project, "contracts/pg/x.yml", contract("pg/orders"))
    code, out, err = run("contracts")
    assert code == 1
    assert out.splitlines() == [
        "contracts/pg/orders.yml:1:10: error: dataset 'pg/orders' is also described by "
        "contracts/pg/x.yml:1 [duplicate-dataset]",
        "  hint: Keep one contract per dataset: merge the files or correct `dataset:`.",
        "contracts/pg/orders.yml:6:11: error: unknown key 'treshold' in check 'missing' on "
        "column 'id' [unknown-key]",
        "  hint: did you mean 'threshold'?",
        "contracts/pg/x.yml:1:10: error: dataset 'pg/orders' is also described by "
        "contracts/pg/orders.yml:1 [duplicate-dataset]",
        "  hint: Keep one contract per dataset: merge the files or correct `dataset:`.",
        "contracts/pg/x.yml:1:10: warning: the file path does not mirror dataset 'pg/orders'; "
        "expected contracts/pg/orders.yml [path-mismatch]",
        "  hint: Move the file (or correct `dataset:`), so a reader can find a contract by its "
        "dataset name.",
        "3 errors and 1 warning in 2 files",
    ]
    assert err.startswith("Error: 3 errors in contracts: nothing may be planned or applied")


def test_warnings_alone_exit_0_but_fail_with_strict(project: Path) -> None:
    write(project, "contracts/misplaced.yml", contract("pg/orders"))
    code, out, _ = run()
    assert code == 0
    assert out.endswith("0 errors and 1 warning in 1 file\n")
    code, out, _ = run("--strict")
    assert code == 1
    assert ": error: the file path does not mirror" in out


def test_json_format_is_a_documented_object(project: Path) -> None:
    write(project, "c/pg/orders.yml", TYPO)
    write(project, "c/pg/new.yml", "dataset: pg/new\n")
    code, out, _ = run("c", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report == {
        "format_version": 1,
        "root": "c",
        "valid": False,
        "files": 2,
        "errors": 1,
        "warnings": 0,
        "diagnostics": [
            {
                "file": "c/pg/orders.yml",
                "line": 6,
                "col": 11,
                "severity": "error",
                "rule": "unknown-key",
                "message": "unknown key 'treshold' in check 'missing' on column 'id'",
                "hint": "did you mean 'threshold'?",
            }
        ],
        "contracts": [
            {
                "dataset": "pg/new",
                "file": "c/pg/new.yml",
                "stub": True,
                "raw_sha256": report["contracts"][0]["raw_sha256"],
                "semantic_fingerprint": report["contracts"][0]["semantic_fingerprint"],
            }
        ],
    }
    assert len(report["contracts"][0]["raw_sha256"]) == 64


def test_github_format_writes_escaped_annotations(project: Path) -> None:
    write(
        project, "contracts/pg/a,b.yml", "dataset: pg/a,b\ncolumns: []\nfilter: x\nfliter: 100%\n"
    )
    code, out, _ = run("--format", "github")
    assert code == 1
    assert out.splitlines() == [
        "::error file=contracts/pg/a%2Cb.yml,line=4,col=1,title=unknown-key::unknown key "
        "'fliter' in the contract%0Ahint: did you mean 'filter'?",
        "1 error and 0 warnings in 1 file",
    ]


def test_var_supplies_values_and_rejects_bad_syntax(project: Path) -> None:
    write(project, "contracts/pg/t.yml", "dataset: pg/${var.T}\ncolumns: []\nvariables:\n  T:\n")
    assert run()[0] == 1
    assert run("--var", "T=t")[0] == 0
    code, _, err = run("--var", "not-a-pair")
    assert code == 1  # a command-line mistake: 2 is reserved for plan and audit
    assert "is not NAME=VALUE" in err


def test_the_default_folder_comes_from_reconciler_yml(project: Path) -> None:
    write(project, "reconciler.yml", "contracts: specs\n")
    write(project, "specs/pg/orders.yml", TYPO)
    code, out, _ = run()
    assert code == 1
    assert out.startswith("specs/pg/orders.yml:6:11: error:")


def test_a_missing_folder_is_a_clear_error(project: Path) -> None:
    code, out, err = run("nowhere")
    assert (code, out) == (1, "")
    assert err == (
        "Error: the contracts folder nowhere does not exist\n"
        "  hint: Pass the folder as DIR, or set `contracts:` in reconciler.yml.\n"
    )


def test_a_real_process_exits_1_on_errors_and_0_when_fixed(tmp_path: Path) -> None:
    path = write(tmp_path, "contracts/pg/orders.yml", TYPO)
    command = [sys.executable, "-m", "reconciler", "validate", "contracts"]
    failed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert failed.returncode == 1
    assert "contracts/pg/orders.yml:6:11: error: unknown key 'treshold'" in failed.stdout
    assert "Traceback" not in failed.stderr
    path.write_text(TYPO.replace("treshold", "threshold"))
    fixed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert (fixed.returncode, fixed.stdout) == (0, "0 errors and 0 warnings in 1 file\n")
