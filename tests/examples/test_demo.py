"""``make demo`` (``python -m demo``): every action, in a copy, exit 0."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
import yaml

from demo import tour as demo
from demo.tour import (
    SHOP,
    SHOP_SKELETON,
    SKELETON_DATASET,
    Command,
    Step,
    prepare_workspace,
    run_tour,
)
from tests.examples.support import REPOSITORY


def test_the_demo_shows_every_action_and_the_drift_the_audit_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Settings in the environment win over reconciler.yml: the demo must not follow them.
    monkeypatch.setenv("SODA_CLOUD_HOST", "https://cloud.invalid")
    monkeypatch.setenv("SODA_CLOUD_API_KEY_ID", "someone-elses-key")
    workdir = tmp_path / "demo"

    assert demo.main(["--workdir", str(workdir)]) == 0

    out = capsys.readouterr().out
    commands = re.findall(r"^\$ (reconciler .*)$", out, flags=re.MULTILINE)
    assert [c.split()[1] for c in commands] == [
        "validate",
        "plan",
        "apply",
        "plan",
        "audit",
        "plan",
        "apply",
        "import",
        "state",
        "audit",
        # The shop, on real data.
        "validate",
        "plan",
        "apply",
        "plan",
        "plan",
    ]
    for action in ("+ create", "* generate skeleton", "~ publish", "= adopt", "[format-only]"):
        assert action in out
    assert "[breaking, verify]" in out
    assert "Failing: the plan holds breaking changes (--fail-on)." in out
    assert "verified: completedWithWarnings" in out
    assert "Drifted: changed in Soda Cloud outside git since the last apply" in out
    assert "by erin@example.com" in out
    assert "Status: drift (Soda Cloud changed outside git) (exit 4)" in out
    assert "[tightened, verify, DRIFT]" in out
    assert "Orphaned" in out
    assert out.rstrip().splitlines()[-1].startswith("Demo finished: 15 commands in ")
    assert "expected" not in out
    # It ran in its own folder, against its own local Soda Cloud.
    assert (workdir / ".reconciler" / "local-cloud.json").is_file()
    skeleton = yaml.safe_load((workdir / "contracts" / f"{SKELETON_DATASET}.yml").read_text())
    assert skeleton["checks"] == [{"schema": None}]
    assert not (REPOSITORY / ".reconciler" / "plan.json").exists()
    assert (REPOSITORY / "contracts" / f"{SKELETON_DATASET}.yml").read_text().count("\n") == 3
    # The shop: real checks pass and fail, a skeleton from real columns, and the gate.
    shop = out[out.index("The shop, copied to") :]
    assert "(already so under the contract Soda Cloud has)" in shop
    assert "verified: completedWithFailures" in shop
    assert "customers    created, verified: completed" in shop
    assert (
        "would fail: column email: missing_count 40 (2.0%), must be 0 (new with this change)"
        in shop
    )
    assert "Failing: a change makes checks fail on today's data (--fail-on)." in shop
    assert "(exit 0)\n\nDemo finished" in shop  # the fix passes the gate
    skeleton_file = workdir / "shop" / "contracts" / f"{SHOP_SKELETON}.yml"
    columns = yaml.safe_load(skeleton_file.read_text())["columns"]
    assert [c["name"] for c in columns] == [
        "order_id",
        "line_number",
        "product_id",
        "quantity",
        "unit_price",
    ]
    assert not (REPOSITORY / SHOP / "shop.duckdb").exists()


def test_the_demo_leaves_the_environment_and_directory_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SODA_CLOUD_HOST", "cloud.us.soda.io")
    monkeypatch.chdir(tmp_path)
    workspace = prepare_workspace(tmp_path / "project")

    outcome = run_tour(workspace, (Step("Validate", "Only this.", (Command(("validate",)),)),))

    assert (outcome.ran, outcome.unexpected) == (1, [])
    assert Path.cwd() == tmp_path
    assert os.environ["SODA_CLOUD_HOST"] == "cloud.us.soda.io"


def test_a_command_ending_with_another_exit_code_fails_the_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = prepare_workspace(tmp_path / "project")

    outcome = run_tour(
        workspace, (Step("Expect a failure", "", (Command(("validate",), expect=1),)),)
    )

    assert outcome.unexpected == ["`reconciler validate` exited 0, expected 1"]
    assert "(exit 0; expected 1)" in capsys.readouterr().out


def test_the_demo_refuses_a_folder_that_is_not_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine")

    assert demo.main(["--workdir", str(tmp_path)]) == 1

    assert f"Error: {tmp_path} is not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_temporary_working_folder_is_removed_unless_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(demo, "STEPS", (Step("Validate", "", (Command(("validate",)),)),))
    monkeypatch.setattr(demo, "SHOP_STEPS", ())
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    assert demo.main([]) == 0
    assert list(tmp_path.iterdir()) == []

    assert demo.main(["--keep"]) == 0
    (kept,) = tmp_path.iterdir()
    assert (kept / "contracts").is_dir()
    assert f"the working folder is {kept}" in capsys.readouterr().out
