"""``reconciler plan``: what apply would do, for a pull request."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli.options import (
    Duration,
    cache_option,
    cloud_options,
    engine_option,
    env_option,
    format_option,
    no_color_option,
    out_option,
    state_option,
    target_options,
    use_color,
    var_option,
    verify_option,
)
from reconciler.errors import ConfigError

if TYPE_CHECKING:
    from reconciler.config import EngineMode
    from reconciler.plan import Plan
    from reconciler.plan.checks import DataChecks
    from reconciler.workflow import Session

# The plan model's FAILING_CHECKS, named here so that the flags are built without loading
# the plan model; a test keeps the two the same.
FAILING_CHECKS = "failing-checks"
FAIL_ON = ("breaking", "tightened", "relaxed", "cosmetic", "drift", FAILING_CHECKS)


@click.command("plan")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@target_options
@env_option(
    "The environment to plan for (`environments:` in reconciler.yml; also RECONCILER_ENV), "
    "a comma list of them, or `all`: one plan with a section per environment."
)
@state_option
@var_option
@cache_option
@cloud_options
@out_option(
    "Save the plan (JSON) for `reconciler apply FILE`; with several environments, one file "
    "each: put {env} in the name (plan-{env}.json)."
)
@format_option("text for a terminal, markdown for a pull-request comment, json for machines.")
@click.option("--diff", "show_diff", is_flag=True, help="Add the unified YAML diffs (text format).")
@click.option(
    "--split",
    "split_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write the plan as markdown pull-request comments into DIR (comment-001.md, "
    "...): each fits in a GitHub comment, together they hold every dataset.",
)
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
    help="Exit 3 when the plan holds this change class (repeatable), e.g. breaking; "
    "failing-checks: a changed contract would fail on today's data (with --check-data).",
)
@click.option(
    "--check-data/--no-check-data",
    "check_data",
    default=None,
    envvar="RECONCILER_CHECK_DATA",
    help="Run every contract it would create or publish with a change of meaning on today's "
    "data (Soda's engine, `data_sources:` of reconciler.yml), locally, publishing nothing. "
    "Default: RECONCILER_CHECK_DATA, else `check_data:` in reconciler.yml, else none.",
)
@click.option(
    "--check-data-timeout",
    type=Duration(),
    default="60s",
    show_default=True,
    metavar="DURATION",
    help="How long one contract may run on the data before it is reported as not checked.",
)
@click.option("--strict", is_flag=True, help="A path that does not mirror its dataset is an error.")
@engine_option
@no_color_option
@click.pass_context
def plan(
    ctx: click.Context,
    /,
    directory: Path | None,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    env_name: str | None,
    state_path: str | None,
    variables: tuple[str, ...],
    out_path: Path | None,
    output_format: str,
    show_diff: bool,
    split_dir: Path | None,
    verify_mode: str | None,
    detailed_exitcode: bool,
    fail_on: tuple[str, ...],
    check_data: bool | None,
    check_data_timeout: float,
    strict: bool,
    engine: EngineMode | None,
    no_color: bool,
    no_cache: bool,
    **cloud: str | None,
) -> None:
    """Compare the contracts folder with Soda Cloud and print what apply would do.

    Reads Soda Cloud (one call per 1000 contracts, plus the versions of contracts that
    changed since the last apply) and never changes it. Exit codes: 0 no changes (or any
    plan without --detailed-exitcode), 2 changes (--detailed-exitcode), 3 a --fail-on class
    is present (failing-checks: a change makes a check fail on today's data), 1 an error or
    an invalid contract.
    """
    from reconciler.cli.comments import write_comments
    from reconciler.cli.context import sessions_of
    from reconciler.plan import PlanSettings
    from reconciler.plan.file import write_plan_files
    from reconciler.render.plan import render_plans, render_plans_parts, saved_line
    from reconciler.workflow import plan_each

    sessions = sessions_of(
        ctx,
        environments=env_name,
        directory=directory,
        state=state_path,
        variables=variables,
        strict=strict,
        engine=engine,
        cloud=cloud,
        cache=not no_cache,
    )
    refuse_one_file_for_several(out_path, len(sessions))
    settings = PlanSettings(
        targets=targets, excludes=excludes, verify=verify_mode or sessions[0].project.verify
    )
    made = plan_each(
        sessions, settings, data_checks(sessions[0], check_data, check_data_timeout, fail_on)
    )
    saved = write_plan_files(out_path, made) if out_path is not None else []
    if split_dir is not None:
        write_comments(split_dir, render_plans_parts(made))
    color = output_format == "text" and use_color(no_color)
    click.echo(render_plans(made, output_format, color=color, show_diff=show_diff), nl=False)
    for path in saved if output_format == "text" else ():
        click.echo(saved_line(path))
    ctx.exit(plan_exit(made, fail_on, detailed_exitcode=detailed_exitcode))


def data_checks(
    session: Session, flag: bool | None, timeout: float, fail_on: tuple[str, ...]
) -> DataChecks | None:
    """Whether (``--check-data``, else ``check_data:``) and how the plan runs its changed
    contracts on today's data; ``--fail-on failing-checks`` needs it."""
    from reconciler.plan.checks import DataChecks

    wanted = flag if flag is not None else session.project.check_data == "changed"
    if FAILING_CHECKS in fail_on and not wanted:
        raise ConfigError(
            "--fail-on failing-checks needs the data checks, which are off",
            hint="Add --check-data, or set `check_data: changed` in reconciler.yml.",
        )
    return DataChecks(budget=timeout or None) if wanted else None


def refuse_one_file_for_several(out_path: Path | None, count: int) -> None:
    from reconciler.plan.file import ENV_FIELD

    if out_path is not None and count > 1 and ENV_FIELD not in out_path.name:
        raise ConfigError(
            f"--out {out_path}: one file cannot hold the plans of {count} environments",
            hint=f"Put {ENV_FIELD} in the name, e.g. --out plan-{ENV_FIELD}.json: one file each.",
        )


def plan_exit(made: Sequence[Plan], fail_on: tuple[str, ...], *, detailed_exitcode: bool) -> int:
    """3 when a --fail-on class is present in any plan (said on stderr), 2 for changes with
    --detailed-exitcode, else 0."""
    from reconciler.render.plan import failing_line

    failing = set().union(*(plan.classes_present() for plan in made)).intersection(fail_on)
    if failing:
        click.echo(failing_line(failing), err=True)
        return 3
    changes = any(plan.summary().has_changes for plan in made)
    return 2 if detailed_exitcode and changes else 0
