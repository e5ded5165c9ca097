"""``reconciler apply [PLAN]``: make Soda Cloud match git."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import click

from reconciler.cli.options import (
    cache_option,
    cloud_options,
    engine_option,
    env_option,
    format_option,
    lock_timeout_option,
    no_color_option,
    out_option,
    state_option,
    target_options,
    use_color,
    var_option,
    verify_option,
    write_output,
)
from reconciler.errors import ConfigError

if TYPE_CHECKING:
    from reconciler.apply.options import ApplyOptions
    from reconciler.cli.progress import LineProgress, TerminalProgress
    from reconciler.config import EngineMode, ProjectConfig
    from reconciler.plan import Plan
    from reconciler.plan.file import SavedPlan


@click.command("apply")
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The contracts folder (default: the saved plan's, else `contracts:` in reconciler.yml).",
)
@target_options
@env_option()
@state_option
@lock_timeout_option
@var_option
@cache_option
@cloud_options
@click.option(
    "--auto-approve", is_flag=True, help="Apply without asking (needed when not on a terminal)."
)
@click.option(
    "--fail-on",
    "fail_on",
    multiple=True,
    type=click.Choice(["drift"]),
    help="drift: refuse (exit 1, nothing changed) to overwrite a change made in Soda Cloud "
    "that the plan did not expect (a saved plan: drift it did not show; a fresh plan: any).",
)
@verify_option(
    "Verify datasets with semantic changes (changed, default), only the checks their changes "
    "can make fail (changed-checks), all, or none."
)
@click.option(
    "--generate",
    "generate_mode",
    type=click.Choice(["skeleton", "ai"]),
    default=None,
    help="Fill stub files with a skeleton (default) or with AI generation (all stubs in one request).",
)
@click.option("--fail-fast", is_flag=True, help="Start nothing new after the first failure.")
@format_option("The final report's format.")
@out_option("Also write the final report to this file.")
@click.option("--strict", is_flag=True, help="A path that does not mirror its dataset is an error.")
@engine_option
@no_color_option
@click.pass_context
def apply(
    ctx: click.Context,
    /,
    plan_file: Path | None,
    directory: Path | None,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    env_name: str | None,
    state_path: str | None,
    lock_timeout: float,
    variables: tuple[str, ...],
    auto_approve: bool,
    fail_on: tuple[str, ...],
    verify_mode: str | None,
    generate_mode: str | None,
    fail_fast: bool,
    output_format: str,
    out_path: Path | None,
    strict: bool,
    engine: EngineMode | None,
    no_color: bool,
    no_cache: bool,
    **cloud: str | None,
) -> None:
    """Create, generate, publish and verify contracts so Soda Cloud matches git.

    Without PLAN_FILE: makes a fresh plan, shows it and asks for confirmation (--auto-approve
    skips; without a terminal it is required). With PLAN_FILE (from `reconciler plan --out`):
    applies exactly that plan, with no prompt, and refuses when anything it was based on
    moved. With --fail-on drift, a change made in Soda Cloud that the plan did not expect is
    never overwritten. Exit codes: 0 applied (and verified), 3 applied but a verification
    failed, 1 an error (the report says what was and was not applied; also a refused drift),
    130 interrupted.
    """
    from reconciler.cli.context import session_of
    from reconciler.plan import PlanSettings
    from reconciler.plan.file import load_saved_plan
    from reconciler.render.apply import render
    from reconciler.workflow import apply_fresh, apply_saved

    saved = load_saved_plan(plan_file) if plan_file is not None else None
    refuse_conflicts(saved, auto_approve, targets, excludes, verify_mode)
    view = ApplyOnTerminal(auto_approve, no_color, output_format)
    session = session_of(
        ctx,
        directory=directory or (Path(saved.plan.contracts_dir) if saved else None),
        state=state_path,
        variables=variables,
        strict=strict,
        engine=engine,
        cloud=cloud,
        listener=view.terminal,
        environment=env_name,
        cache=not no_cache,
    )
    options = apply_options(session.project, generate_mode, fail_fast, fail_on)
    settings = PlanSettings(
        targets=targets, excludes=excludes, verify=verify_mode or session.project.verify
    )
    result = (
        apply_saved(session, saved, options, view, lock_timeout=lock_timeout)
        if saved is not None
        else apply_fresh(session, settings, options, view, lock_timeout=lock_timeout)
    )
    if result is None:
        return
    report = render(result, output_format)
    click.echo(report, nl=False)
    write_output(out_path, report)
    ctx.exit(result.exit_code)


def apply_options(
    project: ProjectConfig, generate: str | None, fail_fast: bool, fail_on: tuple[str, ...]
) -> ApplyOptions:
    from reconciler.apply.options import ApplyOptions

    chosen = cast(Literal["skeleton", "ai"], generate or project.generate)
    return ApplyOptions(generate=chosen, fail_fast=fail_fast, refuse_drift="drift" in fail_on)


def refuse_conflicts(
    saved: SavedPlan | None,
    auto_approve: bool,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    verify: str | None,
) -> None:
    """A saved plan is applied as it was made; a fresh one only once confirmed (on a
    terminal, or with --auto-approve)."""
    if saved is not None and (targets or excludes or verify):
        raise ConfigError(
            "--target, --exclude and --verify belong to the plan: a saved plan is applied as it was made",
            hint="Make a new plan with those flags: `reconciler plan --out FILE ...`.",
        )
    if saved is None and not auto_approve and not sys.stdin.isatty():
        raise ConfigError(
            "refusing to apply without confirmation: not on a terminal and no --auto-approve",
            hint="In CI run `reconciler apply --auto-approve`, or apply a reviewed plan: `reconciler apply plan.json`.",
        )


class ApplyOnTerminal:
    """Apply meeting a person: the fresh plan shown, a confirmation asked, progress drawn."""

    def __init__(self, auto_approve: bool, no_color: bool, output_format: str) -> None:
        from reconciler.cli.context import Terminal

        # The session's listener: its waits are drawn in the progress once that shows.
        self.terminal = Terminal()
        self.auto_approve = auto_approve
        self.no_color = no_color
        # The preview shares stdout only with a text report: json and markdown stay clean.
        self.to_stderr = output_format != "text"

    def preview(self, plan: Plan) -> None:
        from reconciler.render.plan import render_text as render_plan

        stream = sys.stderr if self.to_stderr else sys.stdout
        color = use_color(self.no_color, stream)
        click.echo(render_plan(plan, color=color), nl=False, err=self.to_stderr)

    def confirm(self, plan: Plan) -> bool:
        if self.auto_approve or click.confirm("Apply this plan?", default=False, err=True):
            return True
        click.echo("Nothing applied.", err=True)
        return False

    @contextmanager
    def progress(self, plan: Plan) -> Iterator[TerminalProgress | LineProgress]:
        from reconciler.cli.progress import LineProgress, TerminalProgress

        progress = TerminalProgress(plan) if sys.stderr.isatty() else LineProgress()
        self.terminal.progress = progress  # waits are drawn in the progress from now on
        try:
            yield progress
        finally:
            if isinstance(progress, TerminalProgress):
                progress.close()
