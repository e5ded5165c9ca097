"""The GitHub Action (action.yml) run as a workflow runs it, on the example: it installs from
the lock, runs the real reconciler with flags it has, and keeps the plan's comments: a plan
over GitHub's limit becomes several comments, none over it, together holding every
dataset; a plan of another length replaces them and hides the old ones as outdated."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import click
import pytest
import yaml

from reconciler.cli import main
from tests.examples.action_runner import ACTION, Runner, action, command_of
from tests.examples.support import REPOSITORY

pytestmark = pytest.mark.skipif(
    shutil.which("bash") is None or shutil.which("node") is None, reason="needs bash and node"
)

PLAN_WORKFLOW = REPOSITORY / "plan-examples" / "github-actions" / "reconciler-plan.yml"
LIMIT = 65_536
MARKER = "<!-- reconciler-plan -->"
SHA = "0123456789abcdef0123456789abcdef01234567"
EVENT = {"pull_request": {"number": 12, "head": {"sha": SHA}}}
COLUMNS = "".join(f"  - name: column_{n}_é\n    data_type: varchar\n" for n in range(24))
SUMMARY = re.compile(r"<summary>. [\w ]+? <code>([^<]+)</code>")


def plan_step_inputs() -> dict[str, str]:
    document = yaml.safe_load(PLAN_WORKFLOW.read_text(encoding="utf-8"))
    (job,) = document["jobs"].values()
    (step,) = (s for s in job["steps"] if s.get("name") == "Plan")
    inputs: dict[str, str] = {k: str(v) for k, v in step["with"].items()}
    return inputs


def add_wide_contracts(workspace: Path, count: int) -> list[str]:
    """``count`` new contract files, each a create of some 1,500 characters of diff."""
    names = []
    for n in range(count):
        dataset = f"warehouse/analytics/public/wide_{n:03d}"
        path = workspace / "contracts" / f"{dataset}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"dataset: {dataset}\ncolumns:\n{COLUMNS}", encoding="utf-8")
        names.append(dataset)
    return names


def assert_parses(args: list[str]) -> None:
    """``reconciler ARGS`` names a command that takes every one of those flags."""
    command: click.Command = main
    if args == ["--version"]:  # eager: it would print and exit
        assert any("--version" in p.opts for p in main.params)
        return
    rest = list(args)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        found = command.get_command(click.Context(command), rest.pop(0))
        assert found is not None, f"no command in `reconciler {' '.join(args)}`"
        command = found
    command.make_context(command.name or "", rest)


@pytest.fixture
def runner(workspace: Path, tmp_path: Path) -> Runner:
    return Runner(workspace=workspace, home=tmp_path / "runner", event=EVENT)


def test_the_action_is_a_composite_action_whose_inputs_the_templates_use() -> None:
    document = action()

    assert document["runs"]["using"] == "composite"
    assert {"command", "comment", "ok-exit-codes", "version"} <= set(document["inputs"])
    assert set(plan_step_inputs()) <= set(document["inputs"])
    assert ACTION.parent == REPOSITORY


def test_it_installs_the_lock_then_its_own_files_once_per_job(runner: Runner) -> None:
    first = runner.use({"command": "validate"})
    second = runner.use({"command": "validate"}, step_number=2)

    assert first.failed is None, first.failed
    assert second.failed is None
    calls = runner.stub_log.read_text().splitlines()
    venv = runner.temp / "reconciler-venv"
    # Installed once: the second use found it, by the job's environment.
    assert calls == [
        f"-m venv {venv}",
        f"-m pip install --quiet --require-hashes -r {REPOSITORY}/requirements/base.txt",
        f"-m pip install --quiet --no-deps --no-build-isolation {REPOSITORY}",
    ]
    assert (REPOSITORY / "requirements" / "base.txt").is_file()
    assert runner.path == [str(venv / "bin")]
    assert runner.reconciler_commands() == [["--version"], ["validate"], ["validate"]]


def test_a_plan_over_the_limit_becomes_several_comments_holding_every_dataset(
    runner: Runner, workspace: Path
) -> None:
    added = add_wide_contracts(workspace, 110)
    inputs = plan_step_inputs()

    run = runner.use(inputs)

    assert run.failed is None, run.failed
    assert run.output("exit-code") == "3"  # the example's breaking change: the gate decides
    for args in runner.reconciler_commands():
        assert_parses(args)
    assert runner.reconciler_commands()[-1] == [
        *command_of(inputs),
        "--split",
        run.output("comments"),
    ]
    comments = runner.comments()
    assert len(comments) >= 2
    bodies = [c["body"] for c in comments]
    assert all(len(body) <= LIMIT for body in bodies)
    assert all(body.startswith(f"{MARKER}\n") for body in bodies)
    shown = [name for body in bodies for name in SUMMARY.findall(body)]
    assert set(added) <= set(shown)
    assert len(shown) == len(set(shown))  # each dataset once
    assert "warehouse/analytics/public/orders" in shown
    assert f"(part 1 of {len(comments)})" in bodies[0]
    assert bodies[-1].endswith(
        f"<sub>for {SHA[:7]} · [run](https://github.com/acme/contracts/actions/runs/987654321)</sub>\n"
    )
    assert [call[0] for call in runner.calls()] == ["create"] * len(comments)


def test_the_next_push_updates_them_in_place_or_hides_the_outdated_ones(
    runner: Runner, workspace: Path
) -> None:
    added = add_wide_contracts(workspace, 110)
    runner.use(plan_step_inputs())
    first = runner.comments()
    for dataset in added:
        (workspace / "contracts" / f"{dataset}.yml").unlink()

    shorter = runner.use(plan_step_inputs())
    again = runner.use(plan_step_inputs())

    assert shorter.failed is None
    assert again.failed is None
    comments = {c["id"]: c for c in runner.comments()}
    old_ids = [c["id"] for c in first]
    new = [c for c in comments.values() if c["id"] not in old_ids]
    assert len(new) == 1  # posted once, then updated in place
    assert new[0]["body"].startswith(f"{MARKER}\n### Soda contracts plan\n")
    assert new[0]["minimized"] is None
    for old in old_ids:
        assert comments[old]["minimized"] == "OUTDATED"
        assert comments[old]["body"].startswith("<!-- reconciler-plan outdated -->\n")
    calls = runner.calls()[len(first) :]
    assert calls[-1] == ["update", new[0]["id"]]
    assert sum(1 for call in calls if call[0] == "minimize") == len(first)


def test_a_plan_that_could_not_be_made_says_so_and_fails_the_step(
    runner: Runner, workspace: Path
) -> None:
    (workspace / "contracts" / "broken.yml").write_text("dataset: [\n", encoding="utf-8")

    run = runner.use(plan_step_inputs())

    assert run.output("exit-code") == "1"
    (comment,) = runner.comments()
    assert "**The plan could not be made** (exit 1): see the job log." in comment["body"]
    assert run.failed is not None
    assert run.failed.name == "Result"
    assert run.failed.returncode == 1


def test_the_step_fails_on_exit_codes_the_workflow_does_not_handle(runner: Runner) -> None:
    run = runner.use({"command": "plan --fail-on breaking"})

    assert run.output("exit-code") == "3"
    assert run.failed is not None
    assert (run.failed.name, run.failed.returncode) == ("Result", 3)
    assert "reconciler plan ended with exit 3" in run.failed.stdout
    assert not runner.comments()  # no comment asked for


@pytest.mark.parametrize(
    ("code", "ok", "status"),
    [("0", "3", 0), ("3", "0", 3), ("3", "0 3", 0), ("1", "0 3", 1), ("4", "any", 0)],
)
def test_ok_exit_codes_say_which_codes_pass(code: str, ok: str, status: int) -> None:
    (step,) = (s for s in action()["runs"]["steps"] if s.get("name") == "Result")
    env = {
        "PATH": "/usr/bin:/bin",
        "EXIT_CODE": code,
        "OK_EXIT_CODES": ok,
        "RECONCILER_COMMAND": "plan",
    }

    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env=env,
        capture_output=True,
        check=False,
    )

    assert done.returncode == status


def test_comment_is_refused_for_a_command_other_than_plan(runner: Runner) -> None:
    run = runner.use({"command": "audit", "comment": "true"})

    assert run.output("exit-code") == "1"
    assert run.failed is not None
    assert runner.reconciler_commands() == [["--version"]]


def test_a_summary_file_goes_to_the_job_summary(runner: Runner) -> None:
    run = runner.use(
        {
            "command": "audit --format markdown --out audit.md",
            "summary": "audit.md",
            "ok-exit-codes": "0 2",
        }
    )

    assert run.output("exit-code") == "2"  # nothing applied yet: git is ahead
    assert run.failed is None
    assert run.summary.startswith("### Soda contracts audit")
