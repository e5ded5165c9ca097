"""``reconciler plan``: what apply would do, for a pull request."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.context import project_config, project_store
from reconciler.cli.options import (
    cloud_options,
    cloud_settings,
    contracts_dir,
    documents_of,
    format_option,
    no_color_option,
    out_option,
    print_wait,
    run,
    state_option,
    target_options,
    use_color,
    valid_folder,
    var_option,
    verify_option,
)
from reconciler.cli.options import (
    state_path as resolve_state_path,
)
from reconciler.cloud.session import open_client
from reconciler.plan import Plan, PlanSettings
from reconciler.plan.file import write_plan_file
from reconciler.render.plan import render_json, render_markdown, render_text
from reconciler.workflow import plan_against_cloud

FAIL_ON = ("breaking", "tightened", "relaxed", "cosmetic", "drift")


@click.command("plan")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@target_options
@state_option
@var_option
@cloud_options
@out_option("Save the plan (JSON) for `reconciler apply FILE`.")
@format_option("text for a terminal, markdown for a pull-request comment, json for machines.")
@click.option("--diff", "show_diff", is_flag=True, help="Add the unified YAML diffs (text format).")
@verify_option(
    "Which datasets apply verifies (default: `verify:` in reconciler.yml, else changed)."
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when the plan has changes (0: none).",
)
@click.option(
    "--fail-on",
    "fail_on",
    multiple=True,
    type=click.Choice(FAIL_ON),
    help="Exit 3 when the plan holds this change class (repeatable), e.g. breaking.",
)
@click.option("--strict", is_flag=True, help="A path that does not mirror its dataset is an error.")
@no_color_option
@click.pass_context
def plan(
    ctx: click.Context,
    /,
    directory: Path | None,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    state_path: Path | None,
    variables: tuple[str, ...],
    out_path: Path | None,
    output_format: str,
    show_diff: bool,
    verify_mode: str | None,
    detailed_exitcode: bool,
    fail_on: tuple[str, ...],
    strict: bool,
    no_color: bool,
    **cloud: str | None,
) -> None:
    """Compare the contracts folder with Soda Cloud and print what apply would do.

    Reads Soda Cloud (one call per 1000 contracts, plus the versions of contracts that
    changed since the last apply) and never changes it. Exit codes: 0 no changes (or any
    plan without --detailed-exitcode), 2 changes (--detailed-exitcode), 3 a --fail-on class
    is present, 1 an error or an invalid contract.
    """
    project = project_config(ctx)
    desired = valid_folder(contracts_dir(project, directory), variables, strict=strict)
    settings = cloud_settings(project, cloud)
    state_file = resolve_state_path(project, state_path)
    folder = contracts_dir(project, directory)
    state = project_store(project, state_file, folder, settings).load()
    plan_settings = PlanSettings(
        targets=targets, excludes=excludes, verify=verify_mode or project.verify
    )

    async def make() -> Plan:
        async with open_client(
            settings, project, report_wait=print_wait, known_datasets=documents_of(desired)
        ) as client:
            return await plan_against_cloud(
                client,
                desired,
                state,
                settings=plan_settings,
                state_path=state_file,
                clock=client.clock,
            )

    result = run(make())
    if out_path is not None:
        write_plan_file(out_path, result)
    if output_format == "json":
        click.echo(render_json(result), nl=False)
    elif output_format == "markdown":
        click.echo(render_markdown(result), nl=False)
    else:
        click.echo(render_text(result, color=use_color(no_color), show_diff=show_diff), nl=False)
        if out_path is not None:
            click.echo(
                f"Saved the plan to {out_path}: apply it with `reconciler apply {out_path}`."
            )
    present = result.classes_present()
    if fail_on and present.intersection(fail_on):
        click.echo(
            f"Failing: the plan holds {', '.join(sorted(present.intersection(fail_on)))} changes (--fail-on).",
            err=True,
        )
        ctx.exit(3)
    if detailed_exitcode and result.summary().has_changes:
        ctx.exit(2)
