"""``reconciler audit``: how git and Soda Cloud differ, for a nightly job that alerts.

Read-only: it never takes the state lock and writes nothing but ``--out``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TypeVar

import click

from reconciler import __version__
from reconciler.audit import (
    AuditContext,
    AuditReport,
    AuditSettings,
    CallCount,
    make_audit,
)
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
    write_output,
)
from reconciler.cli.options import state_path as resolve_state_path
from reconciler.cloud.client import SodaCloudClient
from reconciler.cloud.http import CallStats
from reconciler.cloud.session import open_client
from reconciler.desired import DesiredState
from reconciler.observed import ReportingData, observe, reporting_data
from reconciler.plan import DatasetFilter
from reconciler.render.audit import render_json, render_markdown, render_text
from reconciler.state import StateFile

T = TypeVar("T")


@click.command("audit")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@target_options
@state_option
@var_option
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
@no_color_option
@click.pass_context
def audit(
    ctx: click.Context,
    /,
    directory: Path | None,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    state_path: Path | None,
    variables: tuple[str, ...],
    strict: bool,
    output_format: str,
    out_path: Path | None,
    show_diff: bool,
    no_reporting: bool,
    no_color: bool,
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
    project = project_config(ctx)
    desired = valid_folder(contracts_dir(project, directory), variables, strict=False)
    settings = cloud_settings(project, cloud)
    state_file = resolve_state_path(project, state_path)
    # Only read: the lock is for writers, and an apply running meanwhile must not stop a report.
    state = project_store(project, state_file, contracts_dir(project, directory), settings).load()
    audit_settings = AuditSettings(targets=targets, excludes=excludes, strict=strict)

    async def make() -> AuditReport:
        async with open_client(
            settings, project, report_wait=print_wait, known_datasets=documents_of(desired)
        ) as client:
            return await audit_against_cloud(
                client,
                desired,
                state,
                settings=audit_settings,
                state_path=state_file,
                read_reporting=not no_reporting,
            )

    report = run(make())
    if output_format == "json":
        text = render_json(report)
    elif output_format == "markdown":
        text = render_markdown(report)
    else:
        text = render_text(report, show_diff=show_diff)
    if out_path is not None:
        write_output(out_path, text)
    if output_format == "text" and use_color(no_color):
        text = render_text(report, color=True, show_diff=show_diff)
    click.echo(text, nl=False)
    ctx.exit(report.exit_code)


async def audit_against_cloud(
    client: SodaCloudClient,
    desired: DesiredState,
    state: StateFile,
    *,
    settings: AuditSettings,
    state_path: Path,
    read_reporting: bool = True,
) -> AuditReport:
    """Read Soda Cloud (contracts, versions of moved ones, the Reporting API), then audit.

    Calls: ceil(N/1000) list calls, one versions call per contract moved since the last
    apply, and the Reporting API's pages. A Reporting API that cannot be read is reported as
    not compared; the contracts API failing is an error."""
    wanted = DatasetFilter(settings.targets, settings.excludes)
    if not read_reporting:
        observed = await observe(client, state, wanted=wanted)
        reporting = ReportingData.not_read("not read (--no-reporting)")
    else:
        observed, reporting = await asyncio.gather(
            observe(client, state, wanted=wanted), reporting_data(client)
        )
    context = AuditContext(
        created=client.clock.now().isoformat(timespec="seconds").replace("+00:00", "Z"),
        reconciler_version=__version__,
        contracts_dir=shown_path(desired.root),
        cloud_host=client.settings.host,
        cloud_url=client.settings.base_url,
        state_path=shown_path(state_path),
        calls=call_count(client.stats),
        settings=settings,
    )
    return make_audit(desired, observed, state, reporting, context=context)


def call_count(stats: CallStats) -> CallCount:
    return CallCount(
        total=stats.total_calls(),
        by_operation={op.value: n for op, n in sorted(stats.calls.items()) if n},
    )


def shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)
