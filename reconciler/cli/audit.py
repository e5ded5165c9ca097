"""``reconciler audit``: how git and Soda Cloud differ, for a nightly job that alerts.

Read-only: it never takes the state lock and writes nothing but ``--out``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli.options import (
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
    write_output,
)

if TYPE_CHECKING:
    from reconciler.config import EngineMode


@click.command("audit")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@target_options
@env_option()
@state_option
@var_option
@cache_option
@cloud_options
@click.option(
    "--strict",
    is_flag=True,
    help="Unmanaged contracts (in Soda Cloud, no file) count as drift (exit 4).",
)
@format_option("text for a job log, markdown for the body of a GitHub issue, json for machines.")
@out_option("Also write the report (in --format) to this file.")
@click.option(
    "--diff", "show_diff", is_flag=True, help="Text: add the diffs of pending datasets too."
)
@click.option(
    "--no-reporting",
    is_flag=True,
    help="Do not read the Reporting API: datasets without contracts and incidents are then "
    "reported as not compared.",
)
@engine_option
@no_color_option
@click.pass_context
def audit(
    ctx: click.Context,
    /,
    directory: Path | None,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    env_name: str | None,
    state_path: str | None,
    variables: tuple[str, ...],
    strict: bool,
    output_format: str,
    out_path: Path | None,
    show_diff: bool,
    no_reporting: bool,
    engine: EngineMode | None,
    no_color: bool,
    no_cache: bool,
    **cloud: str | None,
) -> None:
    """Report drift between the contracts folder and Soda Cloud; never changes anything.

    Per dataset: drifted (changed in Soda Cloud outside git since the last apply, with who,
    when and the diff), pending (git ahead), missing (applied, gone from Soda Cloud),
    unmanaged (no file) and orphaned (file deleted). With the Reporting API: datasets without
    a contract and unresolved incidents on managed datasets.

    Exit codes: 0 in sync, 2 pending only, 4 drift (drifted or missing; unmanaged too with
    --strict), 6 pending and drift, 1 an error or an invalid contract.
    """
    from reconciler.audit import AuditSettings
    from reconciler.cli.context import session_of
    from reconciler.render.audit import render
    from reconciler.workflow import audit as make_audit

    session = session_of(
        ctx,
        directory=directory,
        state=state_path,
        variables=variables,
        engine=engine,
        cloud=cloud,
        cache=not no_cache,
        environment=env_name,
    )
    settings = AuditSettings(targets=targets, excludes=excludes, strict=strict)
    report = make_audit(session, settings, read_reporting=not no_reporting)
    text = render(report, output_format, show_diff=show_diff)
    write_output(out_path, text)  # never coloured: a file is read elsewhere
    if output_format == "text" and use_color(no_color):
        text = render(report, output_format, color=True, show_diff=show_diff)
    click.echo(text, nl=False)
    ctx.exit(report.exit_code)
