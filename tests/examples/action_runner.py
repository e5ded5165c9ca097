"""The repository's GitHub Action (action.yml) run as a runner runs a composite action: each
step's ``if`` and ``env`` evaluated, each ``run`` given to bash as GitHub does, its outputs,
environment and path files read back, and actions/github-script's script run by node.

What only GitHub has is stood in for: ``python3`` (the install step's venv and pip: a stub
that records what it is asked and puts the real ``reconciler`` in the venv), actions it
uses (setup-python is skipped) and GitHub's API (an in-memory store of comments, kept in a
JSON file between runs). The reconciler itself is the real one.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.examples.support import REPOSITORY

ACTION = REPOSITORY / "action.yml"
REAL_RECONCILER = Path(sys.executable).parent / "reconciler"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")

# A python3 that records each call; `-m venv DIR` makes DIR/bin with this recording python
# and the real reconciler behind a shim that records each command line it is given.
PYTHON_STUB = """#!/bin/bash
printf '%s\\n' "$*" >> "$STUB_LOG"
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin"
  cp "$0" "$3/bin/python"
  cp "$(dirname "$0")/reconciler-shim" "$3/bin/reconciler"
fi
"""
RECONCILER_SHIM = """#!/bin/bash
for arg in "$@"; do printf '%s\\0' "$arg"; done >> "$RECONCILER_LOG"
printf '\\n' >> "$RECONCILER_LOG"
exec "$REAL_RECONCILER" "$@"
"""

# actions/github-script: the script is the body of an async function of these arguments.
GITHUB_SCRIPT = """
const fs = require('fs');
const store = JSON.parse(fs.readFileSync(process.env.STORE, 'utf8'));
const save = () => fs.writeFileSync(process.env.STORE, JSON.stringify(store, null, 1));
const bot = { login: 'github-actions[bot]', type: 'Bot' };
const rest = { issues: {
  listComments: async (p) => ({ data: store.comments.map((c) => ({ ...c })) }),
  createComment: async (p) => {
    const id = store.next_id++;
    store.comments.push({ id, node_id: `IC_${id}`, user: bot, body: p.body, minimized: null });
    store.calls.push(['create', id]); save(); return { data: { id } };
  },
  updateComment: async (p) => {
    const c = store.comments.find((x) => x.id === p.comment_id);
    if (!c) throw new Error(`no comment ${p.comment_id}`);
    c.body = p.body; store.calls.push(['update', c.id]); save(); return { data: c };
  },
} };
const github = {
  rest,
  paginate: async (method, params) => (await method(params)).data,
  graphql: async (query, variables) => {
    const found = /minimizeComment\\(input: \\{subjectId: \\$id, classifier: (\\w+)\\}\\)/.exec(query);
    if (!found) throw new Error(`unexpected query: ${query}`);
    const c = store.comments.find((x) => x.node_id === variables.id);
    c.minimized = found[1]; store.calls.push(['minimize', c.id, found[1]]); save();
    return { minimizeComment: { minimizedComment: { isMinimized: true } } };
  },
};
const context = { repo: { owner: 'acme', repo: 'contracts' }, issue: { number: 12 } };
const core = { info: (line) => console.log(line) };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('require', 'github', 'context', 'core', fs.readFileSync(process.env.SCRIPT, 'utf8'))(
  require, github, context, core,
).catch((error) => { console.error(error.message); process.exit(1); });
"""


def action() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return document


def defaults() -> dict[str, str]:
    return {name: str(spec.get("default", "")) for name, spec in action()["inputs"].items()}


@dataclass
class StepRun:
    name: str
    ran: bool
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""


@dataclass
class ActionRun:
    """One use of the action: every step as it ran, and what it left."""

    steps: list[StepRun] = field(default_factory=list)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    summary: str = ""

    @property
    def failed(self) -> StepRun | None:
        return next((s for s in self.steps if s.ran and s.returncode != 0), None)

    def output(self, name: str) -> str:
        expression = str(action()["outputs"][name]["value"])
        return str(evaluate(EXPRESSION.fullmatch(expression).group(1), self._context({})))  # type: ignore[union-attr]

    def _context(self, inputs: Mapping[str, str]) -> dict[str, Any]:
        return {"steps": {k: {"outputs": v} for k, v in self.outputs.items()}, "inputs": inputs}


@dataclass
class Runner:
    """A job's runner for the action: one workspace, one temp folder, one GitHub."""

    workspace: Path
    home: Path  # the runner's own files: temp, stubs, logs, the GitHub store
    event: dict[str, Any]
    action_ref: str = "v1.2.3"
    job_env: dict[str, str] = field(default_factory=dict)  # GITHUB_ENV left by earlier steps
    path: list[str] = field(default_factory=list)  # GITHUB_PATH left by earlier steps

    def __post_init__(self) -> None:
        for name in ("temp", "stubs"):
            (self.home / name).mkdir(parents=True, exist_ok=True)
        for name, text in (("python3", PYTHON_STUB), ("reconciler-shim", RECONCILER_SHIM)):
            stub = self.home / "stubs" / name
            stub.write_text(text, encoding="utf-8")
            stub.chmod(0o755)
        if not self.store.exists():
            self.store.write_text(json.dumps({"comments": [], "next_id": 1001, "calls": []}))

    @property
    def store(self) -> Path:
        return self.home / "github.json"

    @property
    def stub_log(self) -> Path:
        return self.home / "python3.log"

    @property
    def reconciler_log(self) -> Path:
        return self.home / "reconciler.log"

    def comments(self) -> list[dict[str, Any]]:
        comments: list[dict[str, Any]] = json.loads(self.store.read_text())["comments"]
        return comments

    def calls(self) -> list[list[Any]]:
        calls: list[list[Any]] = json.loads(self.store.read_text())["calls"]
        return calls

    def reconciler_commands(self) -> list[list[str]]:
        """Every command line the action gave ``reconciler``, as its argument lists."""
        if not self.reconciler_log.exists():
            return []
        lines = self.reconciler_log.read_text().split("\0\n")
        return [line.split("\0") for line in lines if line]

    def use(self, given: Mapping[str, str], *, step_number: int = 1) -> ActionRun:
        """Run the action's steps with these inputs (the others take their defaults)."""
        inputs = {**defaults(), **given}
        run = ActionRun()
        github = {
            "action_path": str(REPOSITORY),
            "action_ref": self.action_ref,
            "action": f"__your-org_reconciler_{step_number}",
            "server_url": "https://github.com",
            "repository": "acme/contracts",
            "run_id": "987654321",
            "event": self.event,
            "token": "not-a-token",
        }
        for step in action()["runs"]["steps"]:
            context = {**run._context(inputs), "github": github, "runner": {"temp": str(self.temp)}}
            name = step.get("name") or step.get("uses", "")
            if "if" in step and not truthy(evaluate(step["if"], context)):
                run.steps.append(StepRun(name, ran=False))
                continue
            env = {k: substitute(str(v), context) for k, v in (step.get("env") or {}).items()}
            if "run" in step:
                run.steps.append(self._shell(step, env, run))
            elif str(step["uses"]).startswith("actions/github-script@"):
                script = substitute(str(step["with"]["script"]), context)
                run.steps.append(self._github_script(name, script, env))
            else:
                run.steps.append(StepRun(name, ran=False))  # setup-python: the runner's own
            if run.failed:
                break
        run.env = dict(self.job_env)
        return run

    @property
    def temp(self) -> Path:
        return self.home / "temp"

    def _base_env(self) -> dict[str, str]:
        path = [*self.path, str(self.home / "stubs"), "/usr/local/bin", "/usr/bin", "/bin"]
        return {
            "PATH": os.pathsep.join(path),
            "HOME": str(self.home),
            "RUNNER_TEMP": str(self.temp),
            "STUB_LOG": str(self.stub_log),
            "RECONCILER_LOG": str(self.reconciler_log),
            "REAL_RECONCILER": str(REAL_RECONCILER),
            **self.job_env,
        }

    def _shell(self, step: Mapping[str, Any], env: Mapping[str, str], run: ActionRun) -> StepRun:
        files = {name: self.temp / f"{name.lower()}-{len(run.steps)}" for name in FILES}
        for path in files.values():
            path.write_text("")
        script = self.temp / f"step-{len(run.steps)}.sh"
        script.write_text(str(step["run"]), encoding="utf-8")
        full_env = {**self._base_env(), **env, **{k: str(v) for k, v in files.items()}}
        # `shell: bash` is `bash --noprofile --norc -eo pipefail {0}` on GitHub's runners.
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace,
            env=full_env,
            capture_output=True,
            text=True,
            check=False,
        )
        if "id" in step:
            run.outputs[str(step["id"])] = key_values(files["GITHUB_OUTPUT"])
        self.job_env.update(key_values(files["GITHUB_ENV"]))
        self.path[:0] = [p for p in files["GITHUB_PATH"].read_text().splitlines() if p]
        run.summary += files["GITHUB_STEP_SUMMARY"].read_text()
        return StepRun(str(step.get("name", "")), True, done.returncode, done.stdout, done.stderr)

    def _github_script(self, name: str, script: str, env: Mapping[str, str]) -> StepRun:
        source = self.temp / "script.js"
        source.write_text(script, encoding="utf-8")
        harness = self.temp / "github-script.js"
        harness.write_text(GITHUB_SCRIPT, encoding="utf-8")
        full_env = {**self._base_env(), **env, "SCRIPT": str(source), "STORE": str(self.store)}
        done = subprocess.run(
            ["node", str(harness)],
            cwd=self.workspace,
            env=full_env,
            capture_output=True,
            text=True,
            check=False,
        )
        return StepRun(name, True, done.returncode, done.stdout, done.stderr)


FILES = ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")


def key_values(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def substitute(text: str, context: Mapping[str, Any]) -> str:
    return EXPRESSION.sub(lambda m: str(evaluate(m.group(1), context) or ""), text)


def evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    """The few expressions the action uses: dotted names, 'literals', ==, != and &&."""
    expression = EXPRESSION.sub(lambda m: m.group(1), expression).strip()
    if "&&" in expression:
        return all(truthy(evaluate(part, context)) for part in expression.split("&&"))
    for operator in ("!=", "=="):
        if operator in expression:
            left, right = (evaluate(side, context) for side in expression.split(operator, 1))
            same = str(left or "") == str(right or "")
            return same if operator == "==" else not same
    if expression.startswith("'") and expression.endswith("'"):
        return expression[1:-1]
    value: Any = context
    for part in expression.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def truthy(value: Any) -> bool:
    return value not in (None, "", 0, False)


def command_of(inputs: Mapping[str, str]) -> list[str]:
    return shlex.split(inputs["command"])
