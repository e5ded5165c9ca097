"""``reconciler apply [PLAN]``: make Soda Cloud match git."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Literal, cast

import click

from reconciler.apply.engine import ApplyOptions, apply_plan
from reconciler.apply.result import ApplyResult
from reconciler.apply.saved import check_saved_plan
from reconciler.cli.context import project_config, project_store, state_lock
from reconciler.cli.options import (
    cloud_options,
    cloud_settings,
    contracts_dir,
    documents_of,
    format_option,
    lock_timeout_option,
    no_color_option,
    out_option,
    print_wait,
    state_option,
    target_options,
    use_color,
    valid_folder,
    var_option,
    verify_option,
    write_output,
)
from reconciler.cli.options import state_path as resolve_state_path
from reconciler.cli.progress import LineProgress, TerminalProgress
from reconciler.cloud.http import Wait
from reconciler.cloud.session import open_client
from reconciler.cloud.settings import CloudSettings
from reconciler.config import ProjectConfig
from reconciler.desired import DesiredState
from reconciler.errors import ConfigError, Interrupted
from reconciler.observed import observe
from reconciler.plan import DatasetFilter, PlanSettings
from reconciler.plan.file import SavedPlan, load_saved_plan
from reconciler.render.apply import render_json, render_markdown, render_text
from reconciler.render.plan import render_text as render_plan
from reconciler.state import StateStore
from reconciler.state.journal import Journal
from reconciler.workflow import plan_against_cloud


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
@state_option
@lock_timeout_option
@var_option
@cloud_options
@click.option(
    "--auto-approve", is_flag=True, help="Apply without asking (needed when not on a terminal)."
)
@verify_option("Verify datasets with semantic changes (changed, default), all, or none.")
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
@no_color_option
@click.pass_context
def apply(
    ctx: click.Context,
    /,
    plan_file: Path | None,
    directory: Path | None,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    state_path: Path | None,
    lock_timeout: float,
    variables: tuple[str, ...],
    auto_approve: bool,
    verify_mode: str | None,
    generate_mode: str | None,
    fail_fast: bool,
    output_format: str,
    out_path: Path | None,
    strict: bool,
    no_color: bool,
    **cloud: str | None,
) -> None:
    """Create, generate, publish and verify contracts so Soda Cloud matches git.

    Without PLAN_FILE: makes a fresh plan, shows it and asks for confirmation (--auto-approve
    skips; without a terminal it is required). With PLAN_FILE (from `reconciler plan --out`):
    applies exactly that plan, with no prompt, and refuses when anything it was based on
    moved. Exit codes: 0 applied (and verified), 3 applied but a verification failed,
    1 an error (the report says what was and was not applied), 130 interrupted.
    """
    project = project_config(ctx)
    saved = load_saved_plan(plan_file) if plan_file is not None else None
    if saved is not None and (targets or excludes or verify_mode):
        raise ConfigError(
            "--target, --exclude and --verify belong to the plan: a saved plan is applied as it was made",
            hint="Make a new plan with those flags: `reconciler plan --out FILE ...`.",
        )
    folder = directory or (
        Path(saved.plan.contracts_dir) if saved else contracts_dir(project, None)
    )
    desired = valid_folder(folder, variables, strict=strict)
    settings = cloud_settings(project, cloud)
    store = project_store(project, resolve_state_path(project, state_path), folder, settings)
    generate = cast(Literal["skeleton", "ai"], generate_mode or project.generate)
    options = ApplyOptions(generate=generate, fail_fast=fail_fast)
    plan_settings = PlanSettings(
        targets=targets, excludes=excludes, verify=verify_mode or project.verify
    )
    interactive = sys.stdin.isatty()
    if saved is None and not auto_approve and not interactive:
        raise ConfigError(
            "refusing to apply without confirmation: not on a terminal and no --auto-approve",
            hint="In CI run `reconciler apply --auto-approve`, or apply a reviewed plan: `reconciler apply plan.json`.",
        )

    async def go() -> ApplyResult | None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        try:
            return await _apply(
                desired,
                settings,
                project,
                store,
                saved,
                plan_settings,
                options,
                auto_approve=auto_approve,
                no_color=no_color,
                output_format=output_format,
            )
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    with state_lock(store, "apply", lock_timeout):
        try:
            result = asyncio.run(go())
        except asyncio.CancelledError:
            raise Interrupted("interrupted before anything was applied") from None
    if result is None:
        return
    report = {"json": render_json, "markdown": render_markdown}.get(output_format, render_text)(
        result
    )
    click.echo(report, nl=False)
    if out_path is not None:
        write_output(out_path, report)
    ctx.exit(result.exit_code)


class WaitRelay:
    """Passes rate-limit waits to whoever shows progress at the moment."""

    def __init__(self) -> None:
        self.target: Callable[[Wait], None] = print_wait

    def __call__(self, wait: Wait) -> None:
        self.target(wait)


async def _apply(
    desired: DesiredState,
    settings: CloudSettings,
    project: ProjectConfig,
    store: StateStore,
    saved: SavedPlan | None,
    plan_settings: PlanSettings,
    options: ApplyOptions,
    *,
    auto_approve: bool,
    no_color: bool,
    output_format: str,
) -> ApplyResult | None:
    state = store.load()
    relay = WaitRelay()
    async with open_client(
        settings, project, report_wait=relay, known_datasets=documents_of(desired)
    ) as client:
        if saved is not None:
            plan = saved.plan
            wanted = DatasetFilter(plan.settings.targets, plan.settings.excludes)
            observed = await observe(client, state, wanted=wanted)
            check_saved_plan(saved, desired, observed, state)
        else:
            plan = await plan_against_cloud(
                client,
                desired,
                state,
                settings=plan_settings,
                state_path=store.path,
                clock=client.clock,
            )
            # The preview shares stdout only with a text report: json and markdown stay clean.
            to_stderr = output_format != "text"
            stream = sys.stderr if to_stderr else sys.stdout
            click.echo(
                render_plan(plan, color=use_color(no_color, stream)), nl=False, err=to_stderr
            )
            if not plan.summary().has_changes:
                return None
            if not auto_approve and not click.confirm("Apply this plan?", default=False, err=True):
                click.echo("Nothing applied.", err=True)
                return None
        progress: TerminalProgress | LineProgress = (
            TerminalProgress(plan) if sys.stderr.isatty() else LineProgress()
        )
        relay.target = progress.wait
        try:
            return await apply_plan(
                plan, desired, client, Journal(store, state), options=options, progress=progress
            )
        finally:
            if isinstance(progress, TerminalProgress):
                progress.close()
