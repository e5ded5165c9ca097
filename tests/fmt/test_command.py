"""``reconciler fmt [DIR] [--check] [--diff]``: what it writes, what it leaves, what it
prints and how it exits."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from reconciler.cli.main import main
from tests.desired.helpers import write
from tests.examples.support import REPOSITORY

CANONICAL = "dataset: pg/db/orders\ncolumns:\n  - name: id\n    checks:\n      - missing:\n"
UNFORMATTED = (
    "dataset:   pg/db/orders\ncolumns:\n    -   name: id\n        checks:\n        - missing:\n"
)
CANONICAL_B = "dataset: pg/db/items\ncolumns:\n  - name: id  # the key\n"
UNFORMATTED_B = "dataset: pg/db/items\ncolumns:\n- name: id # the key\n\n\n"
INVALID = "dataset: pg/db/bad\ncolumns:\n    - name: id\n      checks:\n        - missing:\n            treshold: {must_be: 0}\n"
LOSES_A_COMMENT = (
    "dataset: pg/db/flow\ncolumns:\n  - name: id\n    valid_values: [\n      a, # first\n      b]\n"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["fmt", *args])
    return result.exit_code, result.stdout, result.stderr


def test_check_exits_1_naming_every_unformatted_file_and_writes_nothing(project: Path) -> None:
    write(project, "contracts/pg/db/orders.yml", UNFORMATTED)
    write(project, "contracts/pg/db/items.yml", UNFORMATTED_B)
    write(project, "contracts/pg/db/customers.yml", CANONICAL.replace("orders", "customers"))

    code, out, err = run("--check")

    assert code == 1
    assert out == "contracts/pg/db/items.yml\ncontracts/pg/db/orders.yml\n"
    assert err.splitlines() == [
        "3 contract files: 2 not in the canonical layout, 1 already canonical",
        "Error: 2 contract files in contracts are not in the canonical layout",
        "  hint: Run `reconciler fmt contracts` to lay them out (layout only: the meaning is "
        "kept).",
    ]
    assert (project / "contracts/pg/db/orders.yml").read_text() == UNFORMATTED
    assert (project / "contracts/pg/db/items.yml").read_text() == UNFORMATTED_B


def test_fmt_rewrites_only_what_is_not_canonical_and_check_then_passes(project: Path) -> None:
    orders = write(project, "contracts/pg/db/orders.yml", UNFORMATTED)
    items = write(project, "contracts/pg/db/items.yml", CANONICAL_B)
    orders.chmod(0o640)
    items_written = items.stat().st_mtime_ns

    code, out, err = run()

    assert (code, out) == (0, "contracts/pg/db/orders.yml\n")
    assert err == "2 contract files: 1 formatted, 1 already canonical\n"
    assert orders.read_text() == CANONICAL
    assert stat.S_IMODE(orders.stat().st_mode) == 0o640
    assert items.stat().st_mtime_ns == items_written
    assert not [p.name for p in orders.parent.iterdir() if p.name.startswith(".")]
    assert run("--check")[:2] == (0, "")


def test_diff_prints_a_unified_diff_of_each_change(project: Path) -> None:
    write(project, "contracts/pg/db/items.yml", UNFORMATTED_B)

    code, out, _ = run("--check", "--diff")

    assert code == 1
    assert out == (
        "--- contracts/pg/db/items.yml\n"
        "+++ contracts/pg/db/items.yml\n"
        "@@ -1,5 +1,3 @@\n"
        " dataset: pg/db/items\n"
        " columns:\n"
        "-- name: id # the key\n"
        "-\n"
        "-\n"
        "+  - name: id  # the key\n"
    )
    assert (project / "contracts/pg/db/items.yml").read_text() == UNFORMATTED_B


def test_an_invalid_file_is_reported_and_left_while_the_others_are_formatted(
    project: Path,
) -> None:
    bad = write(project, "contracts/pg/db/bad.yml", INVALID)
    orders = write(project, "contracts/pg/db/orders.yml", UNFORMATTED)

    code, out, err = run()

    assert code == 1
    assert out == "contracts/pg/db/orders.yml\n"
    assert orders.read_text() == CANONICAL
    assert bad.read_text() == INVALID
    assert err.splitlines()[:2] == [
        "contracts/pg/db/bad.yml:6:13: error: unknown key 'treshold' in check 'missing' on "
        "column 'id' [unknown-key]",
        "  hint: did you mean 'threshold'?",
    ]
    assert "Error: 1 contract file was left as it is" in err


def test_a_file_whose_layout_would_lose_a_comment_is_left_and_named_at_its_place(
    project: Path,
) -> None:
    flow = write(project, "contracts/pg/db/flow.yml", LOSES_A_COMMENT)

    code, out, err = run("--check")

    assert (code, out) == (1, "")
    assert err.startswith(
        "contracts/pg/db/flow.yml:5:10: error: the canonical layout cannot keep the comment "
        "'# first' in its place"
    )
    assert "Error: 1 contract file was left as it is" in err
    assert run()[0] == 1
    assert flow.read_text() == LOSES_A_COMMENT


def test_fmt_never_writes_through_a_symbolic_link(project: Path) -> None:
    # The link is the only file of its dataset (folders starting with a dot are not read).
    target = write(project, "contracts/.shared/orders.yml", UNFORMATTED)
    link = project / "contracts/pg/db/orders.yml"
    link.parent.mkdir(parents=True)
    link.symlink_to("../../.shared/orders.yml")
    write(project, "contracts/pg/db/items.yml", UNFORMATTED_B)

    code, out, err = run()

    assert (code, out) == (0, "contracts/pg/db/items.yml\n")
    assert link.is_symlink()
    assert os.readlink(link) == "../../.shared/orders.yml"
    assert target.read_text() == UNFORMATTED
    assert err.splitlines() == [
        "contracts/pg/db/orders.yml: a symbolic link: left as it is (fmt formats the file it "
        "points to, never through a link)",
        "2 contract files: 1 formatted, 0 already canonical, 1 symbolic link not followed",
    ]


def test_the_folder_comes_from_reconciler_yml(project: Path) -> None:
    write(project, "reconciler.yml", "contracts: specs\n")
    write(project, "specs/pg/db/orders.yml", UNFORMATTED)

    assert run()[:2] == (0, "specs/pg/db/orders.yml\n")


def test_a_missing_folder_is_an_error(project: Path) -> None:
    code, _, err = run("nowhere")
    assert code == 1
    assert "Error: the contracts folder nowhere does not exist" in err


def test_exit_codes_from_a_real_process(project: Path) -> None:
    write(project, "contracts/pg/db/orders.yml", UNFORMATTED)

    def fmt(*args: str) -> int:
        return subprocess.run(
            [sys.executable, "-m", "reconciler", "fmt", *args], capture_output=True, check=False
        ).returncode

    assert fmt("--check") == 1
    assert fmt() == 0
    assert fmt("--check") == 0


def test_the_pre_commit_hooks_run_commands_that_exist() -> None:
    hooks = yaml.safe_load((REPOSITORY / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    by_id = {hook["id"]: hook for hook in hooks}
    assert set(by_id) == {"reconciler-validate", "reconciler-fmt"}
    fmt_hook = by_id["reconciler-fmt"]
    assert fmt_hook["args"] == ["--check"]
    assert fmt_hook["pass_filenames"] is False
    for hook in hooks:
        words = [*hook["entry"].split(), *hook.get("args", [])]
        assert words[0] == "reconciler"
        with main.make_context("reconciler", words[1:2]) as context:
            command = main.get_command(context, words[1])
            assert command is not None, hook["id"]
            command.make_context(words[1], words[2:], parent=context)  # the flags exist


def test_the_yaml_round_trip_is_loaded_only_when_fmt_runs() -> None:
    # `reconciler --version` and every other command import the command group, not fmt.
    probe = (
        "import sys; import reconciler; before = 'importlib.metadata' in sys.modules; "
        "from reconciler.cli import main; print(before, 'ruamel.yaml' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
