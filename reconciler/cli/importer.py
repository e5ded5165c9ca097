"""``reconciler import``: write Soda Cloud contracts into the contracts folder."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import click

from reconciler.cli.context import project_config, project_store, state_lock
from reconciler.cli.options import (
    cloud_options,
    cloud_settings,
    contracts_dir,
    lock_timeout_option,
    print_wait,
    run,
    state_option,
)
from reconciler.cli.options import state_path as resolve_state_path
from reconciler.cloud.dto import Contract
from reconciler.cloud.session import open_client
from reconciler.desired import DesiredState, load_desired
from reconciler.errors import ConfigError
from reconciler.importer import (
    ImportResult,
    Outcome,
    execute_import,
    plan_import,
    printable,
    record_imported,
)

SYMBOL = {
    Outcome.WRITTEN: "+",
    Outcome.REPLACED: "~",
    Outcome.SKIPPED: "=",
    Outcome.REFUSED: "!",
}


@click.command("import")
@click.argument("globs", nargs=-1, metavar="[GLOB]...")
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite an existing file (or write into the dataset's file at another path, "
    "e.g. a stub) with Soda Cloud's contract.",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The contracts folder (default: `contracts:` in reconciler.yml, else contracts/).",
)
@state_option
@lock_timeout_option
@cloud_options
@click.pass_context
def import_command(
    ctx: click.Context,
    /,
    globs: tuple[str, ...],
    force: bool,
    directory: Path | None,
    state_path: Path | None,
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

    Exit codes: 0 done (written or skipped), 1 an error, a refused dataset or a GLOB that
    matched no contract.
    """
    project = project_config(ctx)
    root = contracts_dir(project, directory)
    if root.exists() and not root.is_dir():
        raise ConfigError(
            f"{root} is not a folder", hint="Pass the contracts folder with --dir DIR."
        )
    settings = cloud_settings(project, cloud)
    store = project_store(project, resolve_state_path(project, state_path), root, settings)

    async def listed() -> list[Contract]:
        async with open_client(settings, project, report_wait=print_wait) as client:
            return await client.list_contracts()

    with state_lock(store, "import", lock_timeout):
        state = store.load()
        contracts = run(listed())
        root.mkdir(parents=True, exist_ok=True)
        desired = load_desired(root)
        plan = plan_import(
            {c.dataset_qualified_name: c for c in contracts if c.dataset_qualified_name},
            existing_files(desired),
            set(state.datasets),
            globs=globs,
            force=force,
        )
        results: list[ImportResult] = []
        try:
            # One by one, so that whatever was written is recorded even if the run stops.
            results.extend(execute_import(root, plan, now=store.clock.now()))
        finally:
            if any(r.record is not None for r in results):
                store.save(record_imported(store.load(), results))
    for result in results:
        click.echo(_line(result, root))
    for glob in plan.unmatched_globs:
        click.echo(f"! no contract in Soda Cloud matches {printable(glob)!r}", err=True)
    click.echo(_summary(results, store.path, nothing_chosen=not plan.items and not globs))
    refused = sum(1 for r in results if r.outcome is Outcome.REFUSED)
    if refused or plan.unmatched_globs:
        if refused:
            plural = refused != 1
            click.echo(
                f"Error: {refused} dataset{'s were' if plural else ' was'} refused (see above); "
                f"nothing was written for {'them' if plural else 'it'}.",
                err=True,
            )
        ctx.exit(1)


def existing_files(desired: DesiredState) -> dict[str, str | None]:
    """The folder's contract files (relative posix paths) and the dataset each describes."""
    root_shown = desired.root.as_posix().rstrip("/") or "/"
    prefix = "" if root_shown == "." else root_shown.rstrip("/") + "/"
    files: dict[str, str | None] = {}
    for shown, parsed in desired.parsed.items():
        if prefix and not shown.startswith(prefix):
            continue
        files[shown[len(prefix) :]] = parsed.dataset
    return files


def _line(result: ImportResult, root: Path) -> str:
    where = _shown(root, result.path) if result.path is not None else ""
    head = f"{SYMBOL[result.outcome]} {result.outcome.value:<8} {result.dataset}"
    if where:
        head += f"  {where}"
    return printable(head + (f"  ({result.note})" if result.note else ""))


def _shown(root: Path, relative: PurePosixPath) -> str:
    return (root / relative).as_posix()


def _summary(results: list[ImportResult], state_path: Path, *, nothing_chosen: bool) -> str:
    if nothing_chosen:
        return "Nothing to import: every contract in Soda Cloud has a file or a state record."
    counts = {outcome: 0 for outcome in Outcome}
    for result in results:
        counts[result.outcome] += 1
    recorded = sum(1 for r in results if r.record is not None)
    text = (
        f"Import: {counts[Outcome.WRITTEN]} written, {counts[Outcome.REPLACED]} replaced, "
        f"{counts[Outcome.SKIPPED]} skipped, {counts[Outcome.REFUSED]} refused."
    )
    if recorded:
        text += f" Recorded {recorded} in the state ({state_path})."
    return text
