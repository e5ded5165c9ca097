"""``reconciler state ...``: inspect and repair the state file (show, unlock, forget, rebuild).

Every command takes the same ``--state`` flag (:func:`reconciler.cli.options.state_option`)
and its store from :func:`store_from`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.cli.context import project_config, project_store, state_lock
from reconciler.cli.options import (
    cloud_options,
    cloud_settings,
    contracts_dir,
    documents_of,
    lock_timeout_option,
    print_wait,
    run,
    state_option,
    valid_folder,
    var_option,
)
from reconciler.cli.options import state_path as resolve_state_path
from reconciler.cloud.dto import Contract
from reconciler.cloud.session import open_client
from reconciler.errors import StateCorrupt, StateError, StateForeign, StateLocked
from reconciler.render.state import render_state_json, render_state_text
from reconciler.state import LockInfo, StateFile, StateStore
from reconciler.workflow import rebuilt_state

F = TypeVar("F", bound=Callable[..., Any])


def store_from(ctx: click.Context, state_path: Path | None) -> StateStore:
    """The store of ``--state``, else of the project configuration's state path."""
    return StateStore(resolve_state_path(project_config(ctx), state_path))


state_group: click.Group = click.Group(
    "state", help="Inspect and repair the state file: what was last applied to each dataset."
)


@state_group.command("show")
@state_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the state.",
)
@click.pass_context
def show(ctx: click.Context, state_path: Path | None, output_format: str) -> None:
    """Print the state's lineage, serial, lock and one line per dataset."""
    store = store_from(ctx, state_path)
    state = store.load()
    lock: LockInfo | str | None
    try:
        lock = store.read_lock()
    except StateLocked as problem:
        lock = problem.message
    stale = isinstance(lock, LockInfo) and lock.looks_stale()
    exists = store.exists()
    if output_format == "json":
        output = render_state_json(
            state, path=str(store.path), exists=exists, lock=lock, lock_stale=stale
        )
    else:
        output = render_state_text(
            state,
            path=str(store.path),
            exists=exists,
            lock=lock,
            lock_stale=stale,
            now=store.clock.now(),
        )
    click.echo(output, nl=False)


@state_group.command("unlock")
@click.argument("lock_id", metavar="ID")
@state_option
@click.option(
    "--force",
    is_flag=True,
    help="Remove the lock even though its run is still alive on this host (that run then "
    "stops at its next save).",
)
@click.pass_context
def unlock(ctx: click.Context, lock_id: str, state_path: Path | None, force: bool) -> None:
    """Remove the state lock whose id is ID (left behind by a run that died).

    The id is in the message of the run that was refused, and in `reconciler state show`.
    A lock whose run is still alive on this host is kept unless --force. A lock left by a run
    on this host that is gone needs no unlock: the next run takes it over.
    """
    store = store_from(ctx, state_path)
    removed = store.unlock(lock_id, force=force)
    click.echo(
        f"Removed the lock {removed.id} on {store.path}, held by "
        f"{removed.describe(store.clock.now())}."
    )


@state_group.command("forget")
@click.argument("dataset")
@state_option
@lock_timeout_option
@click.pass_context
def forget(ctx: click.Context, dataset: str, state_path: Path | None, lock_timeout: float) -> None:
    """Remove DATASET's record from the state; its contract in Soda Cloud stays untouched.

    For orphaned contracts: the file was deleted, and the reconciler should stop reporting it.
    If a file for DATASET comes back, the next plan adopts the contract again.
    """
    store = store_from(ctx, state_path)
    with state_lock(store, "state forget", lock_timeout):
        state = store.load()
        record = state.record(dataset)
        if record is None:
            raise StateError(
                f"{store.path}: no dataset {dataset!r} in the state",
                hint=_near_matches_hint(dataset, state.datasets),
            )
        saved = store.save(state.without(dataset))
    click.echo(
        f"Forgot {dataset} (contract {record.contract_id}) in {store.path}; "
        f"the state is now at serial {saved.serial}."
    )


def _near_matches_hint(dataset: str, known: Iterable[str]) -> str:
    names = sorted(known)
    if not names:
        return "The state records no datasets at all."
    near = _near_matches(dataset, names)
    if not near:
        return f"The state records {len(names)} datasets; list them with `reconciler state show`."
    return "Did you mean: " + ", ".join(near) + "?"


def _near_matches(dataset: str, names: list[str], most: int = 5) -> list[str]:
    """Names containing what was typed, else the closest spellings.

    Qualified names share long prefixes, which makes every name look close; only the names
    about as close as the best one are kept.
    """
    wanted = dataset.lower()
    containing = [name for name in names if wanted in name.lower()]
    if containing:
        return containing[:most]
    close = difflib.get_close_matches(dataset, names, n=most, cutoff=0.6)
    if not close:
        return []
    best = difflib.SequenceMatcher(None, dataset, close[0]).ratio()
    return [
        name
        for name in close
        if difflib.SequenceMatcher(None, dataset, name).ratio() >= best - 0.05
    ]


@state_group.command("rebuild")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@state_option
@lock_timeout_option
@var_option
@cloud_options
@click.pass_context
def rebuild(
    ctx: click.Context,
    /,
    directory: Path | None,
    state_path: Path | None,
    lock_timeout: float,
    variables: tuple[str, ...],
    **cloud: str | None,
) -> None:
    """Recreate the state from Soda Cloud and the contracts folder (DIRECTORY).

    Records every dataset whose contract in Soda Cloud is exactly its file, as a plan would
    adopt it; the others stay unrecorded, so the next plan shows them as changes. A readable
    state of this project keeps its lineage; an unreadable one is replaced (its last good
    copy stays in the .backup file, whose lineage it continues). A state of another project
    is replaced by a new one of this project.
    """
    project = project_config(ctx)
    folder = contracts_dir(project, directory)
    desired = valid_folder(folder, variables, strict=False)
    settings = cloud_settings(project, cloud)
    store = project_store(project, resolve_state_path(project, state_path), folder, settings)
    with state_lock(store, "state rebuild", lock_timeout):
        try:
            base = store.load()
        except StateCorrupt as problem:
            click.echo(f"Replacing an unreadable state: {problem}", err=True)
            base = store.fresh()
        except StateForeign as problem:
            click.echo(f"Replacing a state that is not this project's: {problem}", err=True)
            base = StateFile.new()

        async def contracts() -> dict[str, Contract]:
            async with open_client(
                settings, project, report_wait=print_wait, known_datasets=documents_of(desired)
            ) as client:
                listed = await client.list_contracts()
            return {c.dataset_qualified_name: c for c in listed if c.dataset_qualified_name}

        rebuilt = rebuilt_state(desired, run(contracts()), base, store.clock.now())
        saved = store.save(rebuilt, replace=True)
    unrecorded = len(desired.contracts) - len(saved.datasets)
    click.echo(
        f"Rebuilt {store.path}: {len(saved.datasets)} datasets recorded (Soda Cloud equals "
        f"git), {unrecorded} not recorded; serial {saved.serial}. Run `reconciler plan` next."
    )
