"""``make demo``: every action of the reconciler, on a fresh local Soda Cloud, in seconds.

The demo copies the example project (``reconciler.yml``, ``contracts/`` and the local Soda
Cloud's seed ``demo/cloud-seed.yml``) into a fresh working folder, so it is the same on every
run and never touches the repository's files or a user's ``.reconciler/`` state. There it runs
the real commands, in-process, as a user would type them: validate, plan (with the
pull-request gate), apply a saved plan (creates, a skeleton, publishes, verifications), a
change made in the Soda Cloud UI and the audit that catches it, then the way back to a folder
in sync. Each step says which exit code it expects; the demo exits 1 if one differs.

Then the shop (``demo/shop/``), on real data: a DuckDB database of a few thousand rows, some
of them bad (``demo/shop_data.py``), written into its copy; its local Soda Cloud has an agent
that scans it with Soda's engine. The plan runs the changed contracts on today's data
(``--check-data``), apply's verifications pass and fail for real, a skeleton lists the
table's real columns, and the pull-request gate (``--fail-on failing-checks``) stops a
tightened check that today's data breaks.

``python -m demo [--keep] [--workdir DIR]`` (``make demo``), from the repository root.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from reconciler.config import load_project_config
from reconciler.errors import ConfigError

# What a user's project holds: the configuration, the contracts and (for `host: local`) the
# seed of the local Soda Cloud.
EXAMPLE_FILES = ("reconciler.yml", "contracts", "demo/cloud-seed.yml")
# Settings from the environment win over reconciler.yml; the demo must reach its own local
# Soda Cloud whatever the shell it runs in has set.
SCRUBBED_VARIABLES = (
    "SODA_CLOUD_HOST",
    "SODA_CLOUD_API_KEY_ID",
    "SODA_CLOUD_API_KEY_SECRET",
    "SODA_CLOUD_REPORTING_HOST",
    "RECONCILER_TIME_SCALE",
    "RECONCILER_ENV",
)

# The shop: its own project, with the data its local Soda Cloud and `plan --check-data` read.
SHOP = "demo/shop"
SHOP_FOLDER = "shop"  # the shop's copy, inside the demo's working folder

SAVED_PLAN = ".reconciler/plan.json"
SKELETON_DATASET = "lakehouse/silver/page_views"
RETIRED_DATASET = "lakehouse/bronze/raw_clicks"
UNMANAGED_DATASET = "warehouse/analytics/finance/invoices"


@dataclass(frozen=True)
class UiEdit:
    """A change made by a person in the Soda Cloud UI, outside git."""

    dataset: str
    old: str
    new: str
    creator: str
    story: str

    def apply_to(self, contents: str) -> str:
        if self.old not in contents:
            raise ConfigError(
                f"{self.dataset}: the contract in Soda Cloud has no {self.old!r} to change",
                hint="The demo's UI edit no longer fits the example contract; update UI_EDIT.",
            )
        return contents.replace(self.old, self.new, 1)


UI_EDIT = UiEdit(
    dataset="warehouse/analytics/public/customers",
    old="must_be_less_than: 25",
    new="must_be_less_than: 49",
    creator="erin@example.com",
    story="Erin relaxes the freshness check of customers from 25 to 49 hours in the Soda Cloud "
    "UI, outside git.",
)


@dataclass(frozen=True)
class FileEdit:
    """A change a pull request makes to a contract file."""

    dataset: str
    old: str
    new: str

    def apply_in(self, workspace: Path) -> str:
        path = contract_file(workspace, self.dataset)
        text = path.read_text(encoding="utf-8")
        if self.old not in text:
            raise ConfigError(
                f"{path}: has no {self.old!r} to change",
                hint="The demo's edit no longer fits the shop's contract; update it.",
            )
        path.write_text(text.replace(self.old, self.new, 1), encoding="utf-8")
        diff = difflib.unified_diff(
            self.old.splitlines(keepends=True), self.new.splitlines(keepends=True), n=2
        )
        shown = [line.rstrip("\n") for line in diff if not line.startswith(("---", "+++", "@@"))]
        return f"edit {path.relative_to(workspace)}:\n" + "\n".join(f"  {line}" for line in shown)


SHOP_CUSTOMERS = "shop/main/customers"
SHOP_SKELETON = "shop/main/order_items"
_EMAIL_MISSING = "  - name: email\n    checks:\n      - missing:\n"
_WITHIN_5_PERCENT = (
    "          threshold:\n            metric: percent\n            must_be_less_than: 5\n"
)
# A pull request tightens the email check to "no missing email": 40 customers have none.
TIGHTENED = FileEdit(SHOP_CUSTOMERS, _EMAIL_MISSING + _WITHIN_5_PERCENT, _EMAIL_MISSING)
# ... and is fixed to a threshold today's data keeps (2.0 % are missing).
RELAXED = FileEdit(
    SHOP_CUSTOMERS, _EMAIL_MISSING, _EMAIL_MISSING + _WITHIN_5_PERCENT.replace("5", "3")
)


def repository_root() -> Path:
    """Where the example lives: the repository this demo is part of."""
    return Path(__file__).resolve().parents[1]


def prepare_workspace(target: Path, source: Path | None = None) -> Path:
    """Copy the example project into ``target`` (which must be empty or absent)."""
    source = source or repository_root()
    missing = [name for name in EXAMPLE_FILES if not (source / name).exists()]
    if missing:
        raise ConfigError(
            f"{source}: the example project is incomplete (no {', '.join(missing)})",
            hint="Run the demo from the root of the reconciler repository.",
        )
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise ConfigError(
            f"{target} is not empty", hint="Give the demo an empty or new folder with --workdir."
        )
    for name in EXAMPLE_FILES:
        origin, copy = source / name, target / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, copy)
        else:
            shutil.copy2(origin, copy)
    return target


def prepare_shop(target: Path, source: Path | None = None) -> Path:
    """Copy the shop project into ``target`` (empty or absent) and write its DuckDB database
    there (the duckdb extra: ``pip install -e '.[duckdb]'``, which ``make demo`` installs)."""
    from demo.shop_data import DATABASE, make_shop

    origin = (source or repository_root()) / SHOP
    if not (origin / "reconciler.yml").is_file():
        raise ConfigError(
            f"{origin}: the shop project is incomplete (no reconciler.yml)",
            hint="Run the demo from the root of the reconciler repository.",
        )
    if target.exists() and any(target.iterdir()):
        raise ConfigError(f"{target} is not empty", hint="Give the shop an empty or new folder.")
    shutil.copytree(origin, target, dirs_exist_ok=True)
    try:
        make_shop(target / DATABASE)
    except ImportError:
        raise ConfigError(
            "the shop's data needs DuckDB, which is not installed",
            hint="Install the engine with DuckDB: pip install -e '.[duckdb]' (make demo does).",
        ) from None
    return target


@contextmanager
def inside(workspace: Path) -> Iterator[None]:
    """Run in ``workspace`` with no Soda Cloud settings from the environment."""
    saved = {name: os.environ.pop(name) for name in SCRUBBED_VARIABLES if name in os.environ}
    previous = Path.cwd()
    os.chdir(workspace)
    try:
        yield
    finally:
        os.chdir(previous)
        os.environ.update(saved)


def reconciler(args: Sequence[str]) -> int:
    """``reconciler ARGS`` in this process, as typed in a shell; returns the exit code.

    Its standard error goes to standard output, so that messages, progress and reports stay
    in the order they happened when the demo's output is piped or logged."""
    from reconciler.cli import main

    with redirect_stderr(sys.stdout):
        try:
            code = main.main(args=list(args), prog_name="reconciler", standalone_mode=False)
        except click.ClickException as error:
            error.show()
            return error.exit_code
        except click.Abort:
            return 1
        finally:
            sys.stdout.flush()
    return code if isinstance(code, int) else 0


def edit_in_cloud_ui(workspace: Path, edit: UiEdit) -> str:
    """Make ``edit`` in the workspace's local Soda Cloud as a person in its UI would (the
    emulator's admin route ``PUT /_emulator/contracts``); returns the edited contents."""
    # The emulator is the demo's backend: only this option (and tests) import it.
    from reconciler.cloud.local import local_clock
    from reconciler.cloud.settings import resolve_cloud_settings
    from reconciler.emulator import start_local_cloud

    project = load_project_config(workspace / "reconciler.yml", environ={})
    settings = resolve_cloud_settings(project.cloud, environ={})
    cloud = start_local_cloud(
        data_file=project.local_cloud_data,
        time_scale=settings.time_scale,
        clock=local_clock(settings),
    )
    try:
        current = cloud.admin.state().contract_for(edit.dataset)
        if current is None:
            raise ConfigError(f"{edit.dataset}: no contract in the local Soda Cloud to edit")
        contents = edit.apply_to(current.contents)
        cloud.admin.edit_contract(edit.dataset, contents, creator_id=edit.creator)
    finally:
        cloud.stop()
    return contents


def contract_file(workspace: Path, dataset: str) -> Path:
    return workspace / "contracts" / f"{dataset}.yml"


# The tour --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A ``reconciler`` command line and the exit code it should end with."""

    args: tuple[str, ...]
    expect: int = 0


@dataclass(frozen=True)
class Step:
    title: str
    story: str
    commands: tuple[Command, ...] = ()
    before: Callable[[Path], str] | None = None
    after: Callable[[Path], str] | None = None


@dataclass
class Outcome:
    ran: int = 0
    unexpected: list[str] = field(default_factory=list)


def _show_skeleton(workspace: Path) -> str:
    path = contract_file(workspace, SKELETON_DATASET)
    return f"{path.relative_to(workspace)} now holds:\n" + textwrap.indent(
        path.read_text(encoding="utf-8"), "  | "
    )


def _ui_edit(workspace: Path) -> str:
    edit_in_cloud_ui(workspace, UI_EDIT)
    return (
        f"PUT /_emulator/contracts?dataset={UI_EDIT.dataset} by {UI_EDIT.creator}: "
        f"{UI_EDIT.old} -> {UI_EDIT.new}"
    )


def _retire_file(workspace: Path) -> str:
    path = contract_file(workspace, RETIRED_DATASET)
    path.unlink()
    return f"rm {path.relative_to(workspace)}"


STEPS = (
    Step(
        "Validate the contracts folder",
        "Every file is checked locally against the contract language, before anything "
        "reaches Soda Cloud (what the pre-commit hook and the pull-request check run).",
        (Command(("validate",)),),
    ),
    Step(
        "Plan, as a pull request would",
        "The plan compares git with Soda Cloud and says what apply will do, per dataset. "
        "`--fail-on breaking` is the pull-request gate: orders drops a column, so it exits 3 "
        "(a PR label can allow it). `--out` saves the plan for review.",
        (Command(("plan", "--fail-on", "breaking", "--out", SAVED_PLAN), expect=3),),
    ),
    Step(
        "Apply the reviewed plan",
        "Creates, generates a skeleton for the stub file, publishes, adopts and verifies. "
        "A saved plan is applied exactly, or refused if anything moved since it was made. "
        "The events scan is scripted to end with warnings.",
        (Command(("apply", SAVED_PLAN)),),
        after=_show_skeleton,
    ),
    Step(
        "Plan again: nothing to do",
        "Soda Cloud now matches git; the state file records what was applied.",
        (Command(("plan", "--detailed-exitcode")),),
    ),
    Step(
        "Someone edits a contract in the Soda Cloud UI",
        UI_EDIT.story,
        before=_ui_edit,
    ),
    Step(
        "The nightly audit catches it",
        "Drift (who, when, and what apply would undo), the unmanaged contract, a dataset "
        "without a contract and an open incident. Exit 4: drift.",
        (Command(("audit",), expect=4),),
    ),
    Step(
        "A pull request retires a table; the next plan shows the drift loudly",
        "The publish that overwrites the UI edit is flagged as drift, and the contract whose "
        "file was deleted is reported as orphaned: it is never deleted in Soda Cloud.",
        (Command(("plan",)),),
        before=_retire_file,
    ),
    Step(
        "Apply on merge, import the unmanaged contract, forget the retired table",
        "apply --auto-approve is what the merge workflow runs. `import` writes the unmanaged "
        "contract into the folder, byte for byte, and records it. `state forget` stops "
        "reporting the orphan.",
        (
            Command(("apply", "--auto-approve")),
            Command(("import", UNMANAGED_DATASET)),
            Command(("state", "forget", RETIRED_DATASET)),
        ),
    ),
    Step(
        "Audit again: in sync",
        "Exit 0. The retired table's contract is still in Soda Cloud (the reconciler never "
        "deletes one): it is now unmanaged, which fails only `audit --strict`. Datasets without "
        "a contract and incidents are information, never drift.",
        (Command(("audit",)),),
    ),
)


def _describe_shop(workspace: Path) -> str:
    from demo.shop_data import CUSTOMERS, MISSING_EMAILS, NEGATIVE_AMOUNTS, ORDER_ITEMS, ORDERS

    return (
        f"shop.duckdb: {CUSTOMERS:,} customers ({MISSING_EMAILS} without an email), "
        f"{ORDERS:,} orders ({NEGATIVE_AMOUNTS} with a negative amount), {ORDER_ITEMS:,} "
        "order lines; its tables are the datasets shop/main/customers, shop/main/orders and "
        "shop/main/order_items."
    )


def _show_shop_skeleton(workspace: Path) -> str:
    path = contract_file(workspace, SHOP_SKELETON)
    return f"{path.relative_to(workspace)} now holds the table's real columns:\n" + (
        textwrap.indent(path.read_text(encoding="utf-8"), "  | ")
    )


_GATE = ("plan", "--check-data", "--fail-on", "failing-checks")

SHOP_STEPS = (
    Step(
        "Real data: the shop, in DuckDB",
        "A second project, on real data. Its local Soda Cloud has a Soda Agent that scans the "
        "database with Soda's engine, and Soda's engine referees `validate` too (it is "
        "installed: `pip install -e '.[duckdb]'`).",
        (Command(("validate",)),),
        before=_describe_shop,
    ),
    Step(
        "Plan with today's data",
        "`--check-data` runs every contract the plan would create or publish on today's data, "
        "locally, publishing nothing. customers passes. orders' amount check fails, but it "
        "fails under the contract Soda Cloud has too: not this change's doing, so the gate "
        "`--fail-on failing-checks` lets it through.",
        (Command(_GATE),),
    ),
    Step(
        "Apply: real verifications",
        "The local Soda Cloud's agent verifies with Soda's engine: customers completed, orders "
        "completedWithFailures (its 25 negative amounts), so apply exits 3. The stub of "
        "order_items gets a skeleton from the table's real columns.",
        (Command(("apply", "--auto-approve"), expect=3),),
        after=_show_shop_skeleton,
    ),
    Step(
        "A pull request tightens a check that today's data breaks",
        "No customer may lack an email any more. The plan names the check and what the data "
        "has: the gate exits 3 before anything is merged, instead of a failed verification "
        "after.",
        (Command(_GATE, expect=3),),
        before=TIGHTENED.apply_in,
    ),
    Step(
        "The fix: a threshold today's data keeps",
        "At most 3 % missing: tighter than Soda Cloud's 5 %, and today's 2.0 % keeps it. Exit 0.",
        (Command(_GATE),),
        before=RELAXED.apply_in,
    ),
)


def _header(number: int, title: str) -> str:
    text = f"── {number}. {title} "
    return text + "─" * max(3, 88 - len(text))


def say(text: str = "", **style: Any) -> None:
    click.echo(click.style(text, **style) if style else text)
    sys.stdout.flush()


def run_tour(
    workspace: Path, steps: Sequence[Step], outcome: Outcome | None = None, *, first: int = 1
) -> Outcome:
    """Run the steps in ``workspace`` (prepared by :func:`prepare_workspace`), numbered from
    ``first``, adding to ``outcome``."""
    outcome = outcome if outcome is not None else Outcome()
    with inside(workspace):
        for number, step in enumerate(steps, start=first):
            say()
            say(_header(number, step.title), bold=True)
            say(textwrap.fill(step.story, width=88))
            if step.before is not None:
                say(step.before(workspace))
            for command in step.commands:
                line = "reconciler " + " ".join(command.args)
                say()
                say(f"$ {line}", fg="cyan", bold=True)
                code = reconciler(command.args)
                outcome.ran += 1
                if code == command.expect:
                    say(f"(exit {code})", dim=True)
                else:
                    outcome.unexpected.append(f"`{line}` exited {code}, expected {command.expect}")
                    say(f"(exit {code}; expected {command.expect})", fg="red", bold=True)
            if step.after is not None:
                say(step.after(workspace))
    return outcome


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m demo",
        description="Run every reconciler action against a fresh local Soda Cloud.",
    )
    parser.add_argument("--workdir", type=Path, help="Run in this (empty or new) folder.")
    parser.add_argument(
        "--keep", action="store_true", help="Keep the working folder (a temporary one is removed)."
    )
    options = parser.parse_args(argv)
    started = time.perf_counter()
    temporary = options.workdir is None
    workspace = Path(tempfile.mkdtemp(prefix="reconciler-demo-")) if temporary else options.workdir
    try:
        prepare_workspace(workspace)
        say(f"The example project, copied to {workspace}, against a local Soda Cloud")
        say("(reconciler.yml: `cloud: {host: local, seed: demo/cloud-seed.yml}`).")
        outcome = run_tour(workspace, STEPS)
        if SHOP_STEPS:
            shop = prepare_shop(workspace / SHOP_FOLDER)
            say()
            say(f"The shop, copied to {shop}, on real data in DuckDB", bold=True)
            say("(reconciler.yml: `data_sources: [shop-data-source.yml]`; its seed too).")
            run_tour(shop, SHOP_STEPS, outcome, first=len(STEPS) + 1)
    except ConfigError as error:
        print(f"Error: {error}", file=sys.stderr)
        if error.hint:
            print(f"  hint: {error.hint}", file=sys.stderr)
        return 1
    finally:
        if temporary and not options.keep:
            shutil.rmtree(workspace, ignore_errors=True)
    elapsed = time.perf_counter() - started
    say()
    kept = f"; the working folder is {workspace}" if options.keep or not temporary else ""
    if outcome.unexpected:
        print("The demo did not go as expected:", file=sys.stderr)
        for problem in outcome.unexpected:
            print(f"  {problem}", file=sys.stderr)
        return 1
    say(f"Demo finished: {outcome.ran} commands in {elapsed:.1f} s{kept}.", bold=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
