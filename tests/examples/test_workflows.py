"""The GitHub Actions workflows in plan-examples/github-actions/: valid YAML and shell, and
every ``reconciler`` command they run exists with those flags and behaves, on the example,
as the workflow expects."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from demo.tour import UI_EDIT, edit_in_cloud_ui
from reconciler.cli import main
from tests.examples.support import REPOSITORY, reconciler

WORKFLOWS = REPOSITORY / "plan-examples" / "github-actions"
PLAN, APPLY, AUDIT = "reconciler-plan.yml", "reconciler-apply.yml", "reconciler-audit.yml"
SHELL_OPERATORS = {">", ">>", "|", "||", "&&", ";", "2>&1", "&"}
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


@dataclass(frozen=True)
class CommandLine:
    workflow: str
    step: str
    args: tuple[str, ...]  # after `reconciler`
    stdout_to: str | None  # `> FILE`


def _workflow(name: str) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return document


def _triggers(document: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True.
    triggers: dict[str, Any] = document["on"] if "on" in document else document[True]
    return triggers


def _steps(document: dict[Any, Any]) -> list[dict[str, Any]]:
    (job,) = document["jobs"].values()
    steps: list[dict[str, Any]] = job["steps"]
    return steps


def _commands(name: str) -> list[CommandLine]:
    found = []
    for step in _steps(_workflow(name)):
        script = step.get("run", "").replace("\\\n", " ")
        for line in script.splitlines():
            tokens = shlex.split(line, comments=True)
            if not tokens or tokens[0] != "reconciler":
                continue
            end = next((i for i, t in enumerate(tokens) if t in SHELL_OPERATORS), len(tokens))
            target = tokens[end + 1] if end < len(tokens) and tokens[end] == ">" else None
            found.append(CommandLine(name, step.get("name", ""), tuple(tokens[1:end]), target))
    return found


ALL_COMMANDS = [c for name in (PLAN, APPLY, AUDIT) for c in _commands(name)]


def test_the_three_workflows_parse_and_start_on_their_events() -> None:
    assert sorted(p.name for p in WORKFLOWS.iterdir()) == sorted([PLAN, APPLY, AUDIT])

    assert set(_triggers(_workflow(PLAN))) == {"pull_request"}
    assert _triggers(_workflow(APPLY))["push"]["branches"] == ["main"]
    assert [s["cron"] for s in _triggers(_workflow(AUDIT))["schedule"]] == ["17 5 * * *"]
    for name in (PLAN, APPLY, AUDIT):
        env = _workflow(name)["env"]
        assert env["SODA_CLOUD_API_KEY_SECRET"] == "${{ secrets.SODA_CLOUD_API_KEY_SECRET }}"


def test_each_workflow_runs_the_commands_it_is_for() -> None:
    shown = {(c.workflow, c.args[0]) for c in ALL_COMMANDS}

    assert shown == {
        (PLAN, "validate"),
        (PLAN, "plan"),
        (APPLY, "apply"),
        (APPLY, "state"),
        (AUDIT, "audit"),
    }
    by_subcommand = {c.args[0]: c.args for c in ALL_COMMANDS}
    assert by_subcommand["validate"][1:] == ("--format", "github")
    assert {"--fail-on", "breaking", "markdown"} <= set(by_subcommand["plan"])
    assert {"--format", "markdown", "--out"} <= set(by_subcommand["audit"])
    # The apply re-plans on main: it refuses to overwrite a change nobody reviewed, unless
    # a person runs it by hand to overwrite; otherwise the two are the same command.
    overwriting, gated = (c.args for c in ALL_COMMANDS if c.args[0] == "apply")
    assert gated[1:4] == ("--auto-approve", "--fail-on", "drift")
    assert overwriting == (gated[0], gated[1], *gated[4:])
    assert "--lock-timeout" in gated


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=lambda c: " ".join(c.args))
def test_every_reconciler_command_in_a_workflow_parses(command: CommandLine) -> None:
    group: click.Command = main
    args = list(command.args)
    while isinstance(group, click.Group):
        name = args.pop(0)
        found = group.get_command(click.Context(group), name)
        assert found is not None, f"{command.workflow}: no command `reconciler ... {name}`"
        group = found
    # Raises NoSuchOption or BadParameter for a flag or value the command does not take.
    group.make_context(group.name or "", args)


def test_the_apply_workflow_runs_one_environment_at_a_time_and_keeps_state_and_report() -> None:
    document = _workflow(APPLY)
    steps = {s.get("name"): s for s in _steps(document)}
    (job,) = document["jobs"].values()

    assert document["concurrency"] == {"group": "reconciler-apply", "cancel-in-progress": False}
    # Staging first; production only after staging succeeded.
    assert job["strategy"]["matrix"]["environment"] == ["staging", "production"]
    assert (job["strategy"]["max-parallel"], job["strategy"]["fail-fast"]) == (1, True)
    assert job["env"]["RECONCILER_ENV"] == "${{ matrix.environment }}"
    assert job["environment"] == "${{ matrix.environment }}"
    for apply in (c for c in ALL_COMMANDS if c.args[0] == "apply"):
        report = apply.args[apply.args.index("--out") + 1]
        assert steps["Upload the apply report"]["with"]["path"] == report
    dispatch = _triggers(document)["workflow_dispatch"]["inputs"]["overwrite_drift"]
    assert (dispatch["type"], dispatch["default"]) == ("boolean", False)
    overwrite = steps["Apply"]["env"]["OVERWRITE_DRIFT"]
    assert overwrite == "${{ inputs.overwrite_drift || false }}"
    keep = steps["Commit generated skeletons and a local state"]
    assert keep["if"].startswith("always()")
    # The state is committed only when it is a local file (state show says where it is).
    assert 'if [ -n "$STATE_FILE" ]; then git add "$STATE_FILE"; fi' in keep["run"]
    assert keep["env"]["STATE_FILE"] == "${{ steps.state.outputs.file }}"
    assert 'd["backend"] == "file"' in steps["Find the state"]["run"]
    assert "git push" in keep["run"]


def test_the_pull_request_comment_is_one_sticky_comment_and_the_label_allows_breaking() -> None:
    document = _workflow(PLAN)
    steps = {s.get("name"): s for s in _steps(document)}

    script = steps["Post or update the plan comment"]["with"]["script"]
    assert "updateComment" in script
    assert "createComment" in script
    assert "readFileSync('comment.md'" in script
    assert document["env"]["COMMENT_MARKER"] == "<!-- reconciler-plan -->"
    assert "COMMENT_MARKER" in script
    assert document["env"]["ALLOW_LABEL"] == "allow-breaking-changes"
    assert "env.ALLOW_LABEL" in steps["Gate"]["env"]["ALLOWED"]
    assert {"labeled", "unlabeled"} <= set(_triggers(document)["pull_request"]["types"])


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("name", [PLAN, APPLY, AUDIT])
def test_every_run_script_is_valid_bash(name: str) -> None:
    for step in _steps(_workflow(name)):
        if "run" not in step:
            continue
        script = EXPRESSION.sub("EXPRESSION", step["run"])
        checked = subprocess.run(
            ["bash", "-n", "-c", script], capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, f"{name}: {step.get('name')}: {checked.stderr}"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_the_comment_script_is_valid_javascript(tmp_path: Path) -> None:
    steps = {s.get("name"): s for s in _steps(_workflow(PLAN))}
    script = steps["Post or update the plan comment"]["with"]["script"]
    # actions/github-script runs the script as the body of an async function.
    source = tmp_path / "comment.js"
    source.write_text(f"(async function (github, context) {{\n{script}\n}});\n")

    checked = subprocess.run(
        ["node", "--check", str(source)], capture_output=True, text=True, check=False
    )

    assert checked.returncode == 0, checked.stderr


def _run(command: CommandLine, workspace: Path) -> int:
    """``command`` as its workflow runs it: with the workflow's own RECONCILER_ENV, where it
    sets one for every job (``all`` for the plan: the example has no environments)."""
    chosen = _workflow(command.workflow)["env"].get("RECONCILER_ENV")
    result = reconciler(command.args, env={"RECONCILER_ENV": chosen} if chosen else None)
    if command.stdout_to:
        (workspace / command.stdout_to).write_text(result.stdout, encoding="utf-8")
    return result.exit_code


def test_on_the_example_the_commands_end_as_the_workflows_expect(workspace: Path) -> None:
    (validate, plan), (overwrite, apply, where), (audit,) = (
        _commands(n) for n in (PLAN, APPLY, AUDIT)
    )

    # A pull request: valid; the plan holds the breaking change of orders, so the gate
    # needs the label.
    assert _run(validate, workspace) == 0
    assert _run(plan, workspace) == 3
    assert (workspace / "plan.md").read_text().startswith("### Soda contracts plan")
    # The example has no environments: one saved plan.
    assert '"format_version": 3' in (workspace / "plan-default.json").read_text()
    # Merged: applied and verified, with the report the workflow uploads.
    assert _run(apply, workspace) == 0
    assert (workspace / "apply-report.md").read_text().startswith("### Soda contracts apply")
    assert (workspace / ".reconciler" / "state.json").is_file()
    # Its state is a local file: the workflow commits it.
    assert _run(where, workspace) == 0
    shown = json.loads((workspace / "state-show.json").read_text())
    assert (shown["backend"], shown["path"]) == ("file", ".reconciler/state.json")
    # Nightly: in sync (no issue), then after an edit in the Soda Cloud UI, drift (an issue).
    assert _run(audit, workspace) == 0
    edit_in_cloud_ui(workspace, UI_EDIT)
    assert _run(audit, workspace) == 4
    assert UI_EDIT.dataset in (workspace / "audit.md").read_text()
    # The next merge's apply refuses to overwrite it; a manual run overwrites it.
    assert _run(apply, workspace) == 1
    assert _run(audit, workspace) == 4
    assert _run(overwrite, workspace) == 0
    assert "overwrote" in (workspace / "apply-report.md").read_text()
    assert _run(audit, workspace) == 0
