"""The GitHub Actions workflows in plan-examples/github-actions/: valid YAML and shell, they
run the reconciler through the repository's action (action.yml) with inputs it has, and
every ``reconciler`` command they give it exists with those flags and behaves, on the
example, as the workflow expects."""

from __future__ import annotations

import dataclasses
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

from demo.tour import TIGHTENED, UI_EDIT, edit_in_cloud_ui, prepare_shop
from reconciler.cli import main
from tests import shop
from tests.examples.support import REPOSITORY, reconciler

WORKFLOWS = REPOSITORY / "plan-examples" / "github-actions"
ACTION = REPOSITORY / "action.yml"
ACTION_USES = "your-org/reconciler@v1"
# What the action adds to a plan command whose comment is kept (its folder, here relative).
SPLIT = ("--split", "comments")
PLAN, APPLY, AUDIT = "reconciler-plan.yml", "reconciler-apply.yml", "reconciler-audit.yml"
SHELL_OPERATORS = {">", ">>", "|", "||", "&&", ";", "2>&1", "&"}
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
# The apply's gate, as GitHub evaluates it: on a push (and a manual run by default) the
# drift gate; on a manual run with overwrite_drift checked, none.
DRIFT_GATE = "${{ inputs.overwrite_drift != true && '--fail-on drift' || '' }}"
GATED, OVERWRITING = "--fail-on drift", ""


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


def _action_steps(name: str) -> list[dict[str, Any]]:
    return [s for s in _steps(_workflow(name)) if str(s.get("uses", "")).startswith("your-org/")]


def _commands(name: str) -> list[CommandLine]:
    """The reconciler commands a workflow runs: those it gives the action (with what the
    action adds), and any in its own scripts."""
    found = []
    for step in _steps(_workflow(name)):
        if step in _action_steps(name):
            command = step["with"]["command"]
            for gate in (OVERWRITING, GATED) if DRIFT_GATE in command else (None,):
                evaluated = command.replace(DRIFT_GATE, gate) if gate is not None else command
                args = tuple(shlex.split(evaluated))
                if step["with"].get("comment") == "true":
                    args += SPLIT
                found.append(CommandLine(name, step.get("name", ""), args, None))
            continue
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
        (AUDIT, "state"),
        (AUDIT, "import"),
    }
    by_subcommand = {c.args[0]: c.args for c in ALL_COMMANDS}
    assert by_subcommand["validate"][1:] == ("--format", "github")
    assert {"--fail-on", "breaking", "--out", *SPLIT} <= set(by_subcommand["plan"])
    with_data, without = (c.args for c in ALL_COMMANDS if c.args[0] == "plan")
    assert set(with_data) - set(without) == {
        "--check-data",
        "--check-data-timeout",
        "2m",
        "failing-checks",
    }
    assert {"--format", "markdown", "--out"} <= set(by_subcommand["audit"])
    assert by_subcommand["import"][1:] == ("--drifted", "--state", "$DRIFT_STATE")
    # The apply re-plans on main: it refuses to overwrite a change nobody reviewed, unless
    # a person runs it by hand to overwrite; otherwise the two are the same command.
    overwriting, gated = (c.args for c in ALL_COMMANDS if c.args[0] == "apply")
    assert gated[1:4] == ("--auto-approve", "--fail-on", "drift")
    assert overwriting == (gated[0], gated[1], *gated[4:])
    assert "--lock-timeout" in gated


@pytest.mark.parametrize("name", [PLAN, APPLY, AUDIT])
def test_every_workflow_uses_the_action_with_inputs_it_has(name: str) -> None:
    inputs = yaml.safe_load(ACTION.read_text(encoding="utf-8"))["inputs"]
    steps = _action_steps(name)

    assert steps
    for step in steps:
        assert step["uses"] == ACTION_USES
        assert set(step["with"]) <= set(inputs), step["name"]
    # No workflow installs or runs the reconciler by itself any more.
    scripts = " ".join(str(s.get("run", "")) for s in _steps(_workflow(name)))
    assert "pip install" not in scripts


def test_the_exit_codes_each_workflow_acts_on_do_not_fail_the_action_step() -> None:
    codes = {
        (name, step["name"]): set(step["with"].get("ok-exit-codes", "0").split())
        for name in (PLAN, APPLY, AUDIT)
        for step in _action_steps(name)
    }

    assert codes == {
        (PLAN, "Validate"): {"0"},
        (PLAN, "Plan"): {"0", "3"},  # the gate decides about breaking changes
        (PLAN, "Plan with today's data"): {"0", "3"},  # ... and about failing checks
        (APPLY, "Apply"): {"any"},  # the state is committed whatever the exit
        (AUDIT, "Audit"): {"0", "2", "4", "6"},
        (AUDIT, "Bring the drifted contracts into git"): {"0", "1"},
    }


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
    assert DRIFT_GATE in steps["Apply"]["with"]["command"]
    dispatch = _triggers(document)["workflow_dispatch"]["inputs"]["overwrite_drift"]
    assert (dispatch["type"], dispatch["default"]) == ("boolean", False)
    for apply in (c for c in ALL_COMMANDS if c.args[0] == "apply"):
        report = apply.args[apply.args.index("--out") + 1]
        assert steps["Upload the apply report"]["with"]["path"] == report
        assert steps["Apply"]["with"]["summary"] == report
    keep = steps["Commit generated skeletons and a local state"]
    assert keep["if"].startswith("always()")
    assert "steps.apply.outputs.exit-code" in keep["if"]
    # The state is committed only when it is a local file (state show says where it is).
    assert 'if [ -n "$STATE_FILE" ]; then git add "$STATE_FILE"; fi' in keep["run"]
    assert keep["env"]["STATE_FILE"] == "${{ steps.state.outputs.file }}"
    assert 'd["backend"] == "file"' in steps["Find the state"]["run"]
    assert "git push" in keep["run"]
    assert "steps.apply.outputs.exit-code" in steps["Result"]["env"]["APPLY_EXIT"]


def test_the_pull_request_comment_is_kept_by_the_action_and_the_label_allows_breaking() -> None:
    document = _workflow(PLAN)
    steps = {s.get("name"): s for s in _steps(document)}

    assert steps["Plan"]["with"]["comment"] == "true"
    assert "steps.plan.outputs.exit-code" in steps["Gate"]["env"]["PLAN_EXIT"]
    assert document["env"]["ALLOW_LABEL"] == "allow-breaking-changes"
    assert "env.ALLOW_LABEL" in steps["Gate"]["env"]["ALLOWED"]
    assert {"labeled", "unlabeled"} <= set(_triggers(document)["pull_request"]["types"])
    assert document["permissions"]["pull-requests"] == "write"


def test_the_audit_workflow_opens_a_pull_request_with_the_drifted_contracts() -> None:
    document = _workflow(AUDIT)
    steps = {s.get("name"): s for s in _steps(document)}

    # Only on drift; into a local state file, which the pull request carries, or into a
    # copy of a remote state, which it does not.
    where = steps["Find the state"]
    assert "'4'" in where["if"]
    assert "'6'" in where["if"]
    assert 'echo "commit=$file"' in where["run"]
    assert 'reconciler state migrate --to "$file"' in where["run"]
    drifted = steps["Bring the drifted contracts into git"]
    assert drifted["if"] == "steps.state.outputs.file != ''"
    assert drifted["env"]["DRIFT_STATE"] == "${{ steps.state.outputs.file }}"
    pull = steps["Open or update the drift pull request"]
    assert pull["uses"].startswith("peter-evans/create-pull-request@")
    assert "contracts/**" in pull["with"]["add-paths"]
    assert "${{ steps.state.outputs.commit }}" in pull["with"]["add-paths"]
    assert pull["with"]["branch"] == "reconciler/drift-${{ matrix.environment }}"
    assert pull["with"]["body-path"] == "audit.md"
    assert document["permissions"]["pull-requests"] == "write"
    assert document["permissions"]["contents"] == "write"


def _scripts(name: str) -> list[tuple[str, str]]:
    if name == "action.yml":
        document: dict[Any, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
        steps = document["runs"]["steps"]
    else:
        steps = _steps(_workflow(name))
    return [(str(s.get("name")), str(s["run"])) for s in steps if "run" in s]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("name", [PLAN, APPLY, AUDIT, "action.yml"])
def test_every_run_script_is_valid_bash(name: str) -> None:
    scripts = _scripts(name)
    assert scripts
    for step, run in scripts:
        script = EXPRESSION.sub("EXPRESSION", run)
        checked = subprocess.run(
            ["bash", "-n", "-c", script], capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, f"{name}: {step}: {checked.stderr}"


def test_the_action_scripts_hold_no_expression() -> None:
    """Inputs reach its scripts through the environment, never pasted into the code."""
    for step, run in _scripts("action.yml"):
        assert EXPRESSION.search(run) is None, step


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_the_comment_script_is_valid_javascript(tmp_path: Path) -> None:
    document = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    (step,) = (s for s in document["runs"]["steps"] if "github-script" in str(s.get("uses")))
    # actions/github-script runs the script as the body of an async function.
    source = tmp_path / "comment.js"
    source.write_text(
        f"(async function (github, context, core) {{\n{step['with']['script']}\n}});\n"
    )

    for checked_file in (source, REPOSITORY / "action" / "post-comments.js"):
        checked = subprocess.run(
            ["node", "--check", str(checked_file)], capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stderr


def _given(command: CommandLine, **values: str) -> CommandLine:
    """``command`` with the shell variables its step sets (``$NAME``) given ``values``."""
    args = tuple(values.get(a[1:], a) if a.startswith("$") else a for a in command.args)
    return dataclasses.replace(command, args=args)


def _run(command: CommandLine, workspace: Path) -> int:
    """``command`` as its workflow runs it: with the workflow's own RECONCILER_ENV, where it
    sets one for every job (``all`` for the plan: the example has no environments)."""
    chosen = _workflow(command.workflow)["env"].get("RECONCILER_ENV")
    result = reconciler(command.args, env={"RECONCILER_ENV": chosen} if chosen else None)
    if command.stdout_to:
        (workspace / command.stdout_to).write_text(result.stdout, encoding="utf-8")
    return result.exit_code


def test_on_the_example_the_commands_end_as_the_workflows_expect(workspace: Path) -> None:
    (validate, _, plan), (overwrite, apply, where), (audit, shows, copy, drifted) = (
        _commands(n) for n in (PLAN, APPLY, AUDIT)
    )

    # A pull request: valid; the plan holds the breaking change of orders, so the gate
    # needs the label; its comment files are written.
    assert _run(validate, workspace) == 0
    assert _run(plan, workspace) == 3
    (comment,) = sorted((workspace / "comments").iterdir())
    assert comment.name == "comment-001.md"
    assert comment.read_text().startswith("### Soda contracts plan")
    # The example has no environments: one saved plan.
    assert '"format_version": 4' in (workspace / "plan-default.json").read_text()
    # Merged: applied and verified, with the report the workflow uploads.
    assert _run(apply, workspace) == 0
    assert (workspace / "apply-report.md").read_text().startswith("### Soda contracts apply")
    assert (workspace / ".reconciler" / "state.json").is_file()
    # Its state is a local file: the workflows commit it, and import drift into it.
    for where_is in (where, shows):
        assert _run(where_is, workspace) == 0
        shown = json.loads((workspace / "state-show.json").read_text())
        assert (shown["backend"], shown["path"]) == ("file", ".reconciler/state.json")
    # Nightly: in sync (no issue), then after an edit in the Soda Cloud UI, drift (an issue).
    assert _run(audit, workspace) == 0
    edit_in_cloud_ui(workspace, UI_EDIT)
    assert _run(audit, workspace) == 4
    assert UI_EDIT.dataset in (workspace / "audit.md").read_text()
    # The next merge's apply refuses to overwrite it; a manual run with overwrite_drift
    # publishes git's text over it, on purpose.
    assert _run(apply, workspace) == 1
    assert _run(audit, workspace) == 4
    assert _run(overwrite, workspace) == 0
    assert "overwrote" in (workspace / "apply-report.md").read_text()
    assert _run(audit, workspace) == 0
    # Edited in the UI again: the nightly pull request brings the file as Soda Cloud has it,
    # recorded into a copy of the state, as for a state in PostgreSQL or S3: the shared
    # state still calls it drift until the pull request is merged.
    edited = edit_in_cloud_ui(workspace, UI_EDIT)
    assert _run(audit, workspace) == 4
    state = workspace / ".reconciler" / "state.json"
    before = state.read_bytes()
    assert _run(_given(copy, file="drift-state.json"), workspace) == 0
    assert _run(_given(drifted, DRIFT_STATE="drift-state.json"), workspace) == 0
    assert (workspace / "contracts" / f"{UI_EDIT.dataset}.yml").read_text() == edited
    assert state.read_bytes() == before
    # Merged: the apply finds the file equal to Soda Cloud and publishes nothing.
    assert _run(apply, workspace) == 0
    assert "overwrote" not in (workspace / "apply-report.md").read_text()
    assert _run(audit, workspace) == 0
    # With a local state file the import records into it, and the pull request carries it.
    edit_in_cloud_ui(workspace, dataclasses.replace(UI_EDIT, old=UI_EDIT.new, new=UI_EDIT.old))
    assert _run(audit, workspace) == 4
    assert _run(_given(drifted, DRIFT_STATE=".reconciler/state.json"), workspace) == 0
    assert state.read_bytes() != before
    assert _run(audit, workspace) == 0


@shop.needs_engine
def test_with_data_checks_the_plan_workflow_stops_a_change_that_fails_on_todays_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, with_data, _ = _commands(PLAN)
    workspace = prepare_shop(tmp_path / "shop")
    monkeypatch.chdir(workspace)
    # A first pull request: orders fails only where it failed before; the gate lets it by.
    assert _run(with_data, workspace) == 0
    assert not _fails_on_data(workspace / "plan-default.json")
    assert reconciler(("apply", "--auto-approve")).exit_code == 3  # orders' real failures
    TIGHTENED.apply_in(workspace)
    assert _run(with_data, workspace) == 3
    assert _fails_on_data(workspace / "plan-default.json")  # the Gate step's `jq` question
    (comment,) = sorted((workspace / "comments").iterdir())
    assert "would fail: column email: missing_count 40 (2.0%)" in comment.read_text()


def _fails_on_data(plan: Path) -> bool:
    """``jq -e -s 'any(.[].datasets[]; .data_check.failing == true)'``, as the Gate step
    asks of the saved plans."""
    document = json.loads(plan.read_text())
    return any((d["data_check"] or {}).get("failing") is True for d in document["datasets"])
