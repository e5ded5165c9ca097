"""``reconciler import``: write Soda Cloud contracts into the contracts folder."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.options import cloud_options, env_option, lock_timeout_option, state_option


@click.command("import")
@click.argument("globs", nargs=-1, metavar="[GLOB]...")
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite an existing file (or write into the dataset's file at another path, "
    "e.g. a stub) with Soda Cloud's contract.",
)
@click.option(
    "--drifted",
    is_flag=True,
    help="Write Soda Cloud's newer text into the files of drifted datasets (changed in Soda "
    "Cloud outside git since the last apply), as `reconciler audit` finds them; a file with "
    "changes never applied is refused.",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The contracts folder (default: `contracts:` in reconciler.yml, else contracts/).",
)
@env_option()
@state_option
@lock_timeout_option
@cloud_options
@click.pass_context
def import_command(
    ctx: click.Context,
    /,
    globs: tuple[str, ...],
    force: bool,
    drifted: bool,
    directory: Path | None,
    env_name: str | None,
    state_path: str | None,
    lock_timeout: float,
    **cloud: str | None,
) -> None:
    """Write contracts from Soda Cloud into the contracts folder, byte for byte.

    Without GLOB: every unmanaged contract (in Soda Cloud, with no file and no state record).
    With GLOBs (e.g. 'warehouse/**'; * stays within one /-separated part, ** crosses parts):
    every contract whose dataset matches one. Each goes to
    <DIR>/<datasource>/<prefixes...>/<table>.yml. An existing file is never overwritten
    without --force. Names that would leave the folder or make a bad path are refused.
    What was written is recorded in the state, so the next plan shows no change for it.
    In an environment (--env) with renamed data sources, each file gets the dataset's name in
    the shared folder (warehouse_staging/... is written as warehouse/...).

    With --drifted: the files of the datasets the audit calls drifted (matching a GLOB, when
    given) get Soda Cloud's newer text, byte for byte, and are recorded, so that a change
    made in Soda Cloud's UI comes back into git. A file that differs from the text last
    applied holds changes of its own: it is refused, named, and left as it is.

    Exit codes: 0 done (written or skipped), 1 an error, a refused dataset or a GLOB that
    matched no contract.
    """
    from reconciler.cli.context import session_of
    from reconciler.render.importer import refusal_line, result_lines, summary_line, unmatched_lines
    from reconciler.workflow import import_contracts, import_drifted

    if drifted and force:
        raise click.UsageError(
            "--drifted never overwrites a file with unapplied changes: no --force"
        )
    session = session_of(
        ctx, directory=directory, state=state_path, cloud=cloud, environment=env_name
    )
    if drifted:
        report = import_drifted(session, globs, lock_timeout=lock_timeout)
    else:
        report = import_contracts(session, globs, force=force, lock_timeout=lock_timeout)
    for line in result_lines(report):
        click.echo(line)
    for line in unmatched_lines(report):
        click.echo(line, err=True)
    click.echo(summary_line(report))
    refusal = refusal_line(report)
    if refusal is not None:
        click.echo(refusal, err=True)
    ctx.exit(report.exit_code)
