"""``make plan-examples``: regenerate ``plan-examples/`` from real runs of the example.

Every file there is what a ``reconciler`` command printed (standard output) for the example
project (and for the shop, ``demo/shop/``, on its DuckDB data), run in a fresh copy against a
fresh local Soda Cloud, in the steps ``make demo`` takes. Soda's engine judges every
contract in them (``engine: on`` in each copy's ``reconciler.yml``), so they do not depend on
whether it is installed: without it they fail to regenerate, saying what to install. The copy's local Soda Cloud runs on simulated time (``time_scale: simulated``): its
scans and operations last as long as the seed says, in simulated seconds, and the commands
wait for them without racing the real clock, so every figure (polls, call counts, state
serials) is the same on any machine at any load. What still changes from run to run is made
stable, so that a regeneration is byte-identical and a change in any output shows up as a
diff:

- timestamps become ``2026-01-01T00:00:00Z`` (keeping milliseconds when there were some);
- random ids (version 4 UUIDs: scan and version ids, the state's lineage) become
  ``00000000-0000-4000-8000-00000000000N``, numbered per file in order of appearance; ids
  the local Soda Cloud derives from names (datasets, contracts, checks) are kept;
- the local Soda Cloud's port becomes 8555 (the default of ``reconciler emulator serve``);
- the reconciler's version becomes ``0.1.0``: it is the git tag's, or a development version
  naming the commit, so it changes with every commit;
- a saved plan's digest is made again for its stable content, so that the example is a plan
  file exactly as the reconciler writes it.

    python -m demo.plan_examples            # rewrite plan-examples/
    python -m demo.plan_examples --check    # exit 1 and show the differences if out of date
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from demo.tour import (
    RETIRED_DATASET,
    SCRUBBED_VARIABLES,
    TIGHTENED,
    UI_EDIT,
    contract_file,
    edit_in_cloud_ui,
    inside,
    prepare_shop,
    prepare_workspace,
    repository_root,
)
from reconciler.cli import main as cli
from reconciler.plan.file import plan_digest

OUTPUT_DIR = "plan-examples"
README = "README.md"
REGENERATE = "make plan-examples"

_TIMESTAMP = re.compile(
    r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?P<fraction>\.\d+)?(?:Z|[+-]\d{2}:\d{2})"
)
_RANDOM_ID = re.compile(
    r"\b[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\b", re.IGNORECASE
)
_LOCAL_PORT = re.compile(r"\b(127\.0\.0\.1|localhost):\d+\b")
_RECONCILER_VERSION = re.compile(r'(?P<lead>"reconciler_version": )"[^"]*"')
_PLAN_DIGEST = re.compile(r'^  "digest": "sha256:[0-9a-f]{64}"', re.MULTILINE)
_TIME_SCALE = re.compile(r"^(?P<lead>[ \t]+time_scale:[ \t]*)\S+", re.MULTILINE)


def normalise(text: str) -> str:
    """``text`` with what differs between two runs of the same example made stable."""
    text = _TIMESTAMP.sub(
        lambda m: "2026-01-01T00:00:00" + (".000" if m.group("fraction") else "") + "Z", text
    )
    numbers: dict[str, int] = {}

    def stable_id(match: re.Match[str]) -> str:
        number = numbers.setdefault(match.group(0).lower(), len(numbers) + 1)
        return f"00000000-0000-4000-8000-{number:012d}"

    text = _RANDOM_ID.sub(stable_id, text)
    text = _RECONCILER_VERSION.sub(lambda m: f'{m.group("lead")}"0.1.0"', text)
    return _with_own_digest(_LOCAL_PORT.sub(lambda m: f"{m.group(1)}:8555", text))


def _with_own_digest(text: str) -> str:
    found = _PLAN_DIGEST.search(text)
    if found is None:
        return text
    return text.replace(found.group(0), f'  "digest": "{plan_digest(json.loads(text))}"', 1)


@dataclass(frozen=True)
class Example:
    """One output file: the command that printed it, and the exit code it must end with."""

    name: str
    args: tuple[str, ...]
    expect: int
    what: str

    @property
    def command(self) -> str:
        return "reconciler " + " ".join(self.args)


# In the order they are made; each group runs in its own fresh copy of the example.
VALIDATE = (
    Example("validate.txt", ("validate",), 0, "the example folder is valid"),
    Example("validate.json", ("validate", "--format", "json"), 0, "the same, for programs"),
)
VALIDATE_INVALID = (
    Example(
        "validate-invalid.txt",
        ("validate",),
        1,
        "a copy with three mistakes: a misspelt key, an undeclared variable, a second file "
        "for one dataset (in the wrong place)",
    ),
    Example(
        "validate-invalid.github.txt",
        ("validate", "--format", "github"),
        1,
        "the same as GitHub annotations (pull-request workflow)",
    ),
    Example("validate-invalid.json", ("validate", "--format", "json"), 1, "the same as JSON"),
)
PLAN = (
    Example(
        "plan.txt",
        ("plan",),
        0,
        "the first plan against the demo's Soda Cloud: every action and change class",
    ),
    Example(
        "plan.md",
        ("plan", "--format", "markdown", "--fail-on", "breaking"),
        3,
        "the pull-request comment; exit 3: a breaking change and `--fail-on breaking`",
    ),
    Example(
        "plan.json",
        ("plan", "--format", "json"),
        0,
        "the plan as data: the saved-plan format of `plan --out` (docs/plan-format.md)",
    ),
)
APPLY_TEXT = Example(
    "apply.txt",
    ("apply", "--auto-approve"),
    0,
    "apply: the plan it makes, then the report (progress lines go to standard error)",
)
APPLY_OTHERS = (
    Example(
        "apply.md",
        ("apply", "--auto-approve", "--format", "markdown"),
        0,
        "the report as the merge workflow uploads it (the plan goes to standard error)",
    ),
    Example("apply.json", ("apply", "--auto-approve", "--format", "json"), 0, "as JSON"),
)
AUDIT = (
    Example(
        "audit.txt",
        ("audit",),
        4,
        f"after apply and an edit in the Soda Cloud UI ({UI_EDIT.dataset}); exit 4: drift",
    ),
    Example(
        "audit.md",
        ("audit", "--format", "markdown"),
        4,
        "the same as the body of the nightly workflow's GitHub issue",
    ),
    Example("audit.json", ("audit", "--format", "json"), 4, "the same as JSON"),
)
PLAN_DRIFT = (
    Example(
        "plan-drift.txt",
        ("plan", "--diff"),
        0,
        f"then the file of {RETIRED_DATASET} is deleted: a publish flagged as drift, with its "
        "diff, and an orphan",
    ),
    Example("plan-drift.md", ("plan", "--format", "markdown"), 0, "the same as markdown"),
)
_GATE = ("plan", "--check-data", "--fail-on", "failing-checks")
DATA_PLAN = (
    Example(
        "plan-data.txt",
        _GATE,
        0,
        "the shop (demo/shop/, a DuckDB database with some bad rows): every changed contract "
        "run on today's data; orders' amount check fails there, but already under Soda "
        "Cloud's contract, so the gate lets it through",
    ),
)
DATA_GATE = (
    Example(
        "plan-data-gate.txt",
        _GATE,
        3,
        f"after apply, a pull request tightens the email check of {TIGHTENED.dataset}: 40 "
        "customers have none, so a check would fail with this change; exit 3",
    ),
    Example(
        "plan-data-gate.md",
        (*_GATE, "--format", "markdown"),
        3,
        "the same as the pull-request comment",
    ),
    Example(
        "plan-data-gate.json",
        (*_GATE, "--format", "json"),
        3,
        "the same as data: each checked dataset's checks with their outcome, values and "
        "whether a failure is new (docs/plan-format.md)",
    ),
)
EXAMPLES: tuple[Example, ...] = (
    *VALIDATE,
    *VALIDATE_INVALID,
    *PLAN,
    APPLY_TEXT,
    *APPLY_OTHERS,
    *AUDIT,
    *PLAN_DRIFT,
    *DATA_PLAN,
    *DATA_GATE,
)


class ExampleFailed(RuntimeError):
    """A command of the example ended with another exit code than the one expected."""


def _run(example: Example) -> str:
    # Unset variables that would point the commands away from the example's local Soda Cloud.
    env: dict[str, str | None] = dict.fromkeys(SCRUBBED_VARIABLES)
    env["NO_COLOR"] = "1"
    result = CliRunner().invoke(cli, list(example.args), env=env, catch_exceptions=False)
    if result.exit_code != example.expect:
        raise ExampleFailed(
            f"`{example.command}` exited {result.exit_code}, expected {example.expect}:\n"
            f"{result.output}"
        )
    return normalise(result.stdout)


def _break_contracts(workspace: Path) -> None:
    """Three mistakes `validate` must report in one run."""
    customers = contract_file(workspace, "warehouse/analytics/public/customers")
    text = customers.read_text(encoding="utf-8")
    customers.write_text(text.replace("threshold:", "treshold:", 1), encoding="utf-8")
    orders = contract_file(workspace, "warehouse/analytics/public/orders")
    text = orders.read_text(encoding="utf-8")
    orders.write_text(
        text.replace("valid_max: 50000", "valid_max: ${var.MAX_AMOUNT}"), encoding="utf-8"
    )
    products = contract_file(workspace, "warehouse/analytics/public/products")
    copy = workspace / "contracts" / "warehouse" / "analytics" / "products_v2.yml"
    copy.write_text(products.read_text(encoding="utf-8"), encoding="utf-8")


def _on_simulated_time(workspace: Path) -> None:
    """The copy's local Soda Cloud on a simulated clock: its scans and operations take their
    time in simulated seconds, and every command waits for them without racing real time.
    And Soda's engine judges every contract (``engine: on``): the outputs are the same
    wherever they are made, or not made at all."""
    config = workspace / "reconciler.yml"
    text, found = _TIME_SCALE.subn(r"\g<lead>simulated", config.read_text(encoding="utf-8"))
    if found != 1:
        raise ExampleFailed(f"{config}: no `time_scale:` under `cloud:` to set to simulated")
    config.write_text(text + "engine: on\n", encoding="utf-8")


def _in_fresh_copy(
    scratch: Path,
    name: str,
    body: Callable[[Path], None],
    source: Path | None,
    prepare: Callable[[Path, Path | None], Path] = prepare_workspace,
) -> None:
    workspace = prepare(scratch / name, source)
    _on_simulated_time(workspace)
    with inside(workspace):
        body(workspace)


def generate(source: Path | None = None) -> dict[str, str]:
    """Run the example's commands; every output file's name and normalised contents."""
    outputs: dict[str, str] = {}

    def run_all(examples: Sequence[Example]) -> None:
        for example in examples:
            outputs[example.name] = _run(example)

    def valid(workspace: Path) -> None:
        run_all(VALIDATE)

    def invalid(workspace: Path) -> None:
        _break_contracts(workspace)
        run_all(VALIDATE_INVALID)

    def main_story(workspace: Path) -> None:
        run_all(PLAN)
        run_all((APPLY_TEXT,))
        edit_in_cloud_ui(workspace, UI_EDIT)
        run_all(AUDIT)
        contract_file(workspace, RETIRED_DATASET).unlink()
        run_all(PLAN_DRIFT)

    def apply_only(example: Example) -> Callable[[Path], None]:
        return lambda workspace: run_all((example,))

    def shop(workspace: Path) -> None:
        run_all(DATA_PLAN)
        _run(Example("(apply)", ("apply", "--auto-approve"), 3, "not kept: orders fails"))
        TIGHTENED.apply_in(workspace)
        run_all(DATA_GATE)

    with tempfile.TemporaryDirectory(prefix="reconciler-examples-") as scratch:
        root = Path(scratch)
        _in_fresh_copy(root, "valid", valid, source)
        _in_fresh_copy(root, "invalid", invalid, source)
        _in_fresh_copy(root, "story", main_story, source)
        for example in APPLY_OTHERS:
            _in_fresh_copy(root, example.name, apply_only(example), source)
        _in_fresh_copy(root, "shop", shop, source, prepare_shop)
    outputs[README] = readme()
    return {name: outputs[name] for name in (*(e.name for e in EXAMPLES), README)}


def readme() -> str:
    rows = "\n".join(
        f"| [`{e.name}`]({e.name}) | `{e.command}` | {e.expect} | {e.what} |" for e in EXAMPLES
    )
    return f"""# Plan examples

Real outputs of `reconciler` for the example project of this repository (`contracts/`,
`reconciler.yml`, and the local Soda Cloud seeded from `demo/cloud-seed.yml`), and for the
shop (`demo/shop/`: its contracts on a DuckDB database with some bad rows, which its local
Soda Cloud's agent scans with Soda's engine), made by `{REGENERATE}` in the same steps as
`make demo`. Do not edit them by hand: a test (`tests/examples/`) fails when they differ
from a fresh regeneration, which it makes on a busy machine. Soda's engine judges every
contract (each copy's `reconciler.yml` says `engine: on`); `{REGENERATE}` installs it.

The local Soda Cloud runs on simulated time (`time_scale: simulated` in the copy's
`reconciler.yml`): a scan queues for 2 and runs for 8 simulated seconds, a skeleton takes 5,
and the commands wait for them without racing the real clock. So every figure (polls, call
counts, the state's serial) is the same on any machine at any load. To make two runs
byte-identical, timestamps read `2026-01-01T00:00:00Z`, random ids (scans, versions, the
state's lineage) read `00000000-0000-4000-8000-00000000000N` and the local Soda Cloud's port
reads 8555. Everything else is exactly what was printed (standard output).

| file | command | exit | what it shows |
| --- | --- | ---: | --- |
{rows}

[`github-actions/`](github-actions/) holds the three GitHub Actions workflows that run these
commands in a contracts repository, through this repository's action
([`action.yml`](../action.yml)): on pull requests, on merge to main, and nightly. The
README's "CI setup" section explains them.
"""


def check(directory: Path, outputs: dict[str, str]) -> list[str]:
    """The differences between ``directory`` and ``outputs``, as unified diffs."""
    problems: list[str] = []
    for name, fresh in outputs.items():
        path = directory / name
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != fresh:
            problems.append(
                "".join(
                    difflib.unified_diff(
                        current.splitlines(keepends=True),
                        fresh.splitlines(keepends=True),
                        f"{OUTPUT_DIR}/{name} (checked in)",
                        f"{OUTPUT_DIR}/{name} (regenerated)",
                    )
                )
                or f"{OUTPUT_DIR}/{name}: missing"
            )
    expected = set(outputs)
    for path in sorted(directory.iterdir()):
        if path.is_file() and path.name not in expected:
            problems.append(f"{OUTPUT_DIR}/{path.name}: not made by {REGENERATE}; remove it")
    return problems


def write(directory: Path, outputs: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in outputs.items():
        (directory / name).write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.plan_examples", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="Change nothing; exit 1 if plan-examples/ is stale."
    )
    options = parser.parse_args(argv)
    directory = repository_root() / OUTPUT_DIR
    try:
        outputs = generate()
    except ExampleFailed as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    if options.check:
        problems = check(directory, outputs)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"{OUTPUT_DIR}/ is out of date: run `{REGENERATE}`.", file=sys.stderr)
            return 1
        print(f"{OUTPUT_DIR}/ is up to date ({len(outputs)} files).")
        return 0
    write(directory, outputs)
    print(f"Wrote {len(outputs)} files to {directory}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
