"""``reconciler state ...``: inspect, repair and move the state (show, unlock, forget,
rebuild, migrate), wherever it lives: a local file, PostgreSQL or S3.

Every command takes the same ``--state`` and ``--env`` flags
(:func:`reconciler.cli.options.state_option`, :func:`reconciler.cli.options.env_option`).
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.options import (
    cloud_options,
    env_option,
    lock_timeout_option,
    state_option,
    var_option,
)
from reconciler.errors import StateLocked

state_group: click.Group = click.Group(
    "state",
    help="Inspect, repair and move the state: what was last applied to each dataset.",
)


@state_group.command("show")
@env_option()
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
def show(
    ctx: click.Context, env_name: str | None, state_path: str | None, output_format: str
) -> None:
    """Print the state's lineage, serial, lock and one line per dataset."""
    from reconciler.cli.context import session_of
    from reconciler.render.state import render_state_json, render_state_text
    from reconciler.state import LockInfo

    session = session_of(ctx, state=state_path, environment=env_name)
    store = session.plain_store()
    state = store.load()
    lock: LockInfo | str | None
    try:
        lock = store.read_lock()
    except StateLocked as problem:
        lock = problem.message
    stale = isinstance(lock, LockInfo) and store.lock_looks_stale(lock)
    exists = store.exists()
    if output_format == "json":
        output = render_state_json(
            state,
            path=store.location,
            exists=exists,
            lock=lock,
            lock_stale=stale,
            where=session.state,
            environment=session.environment_name,
        )
    else:
        output = render_state_text(
            state,
            path=store.location,
            exists=exists,
            lock=lock,
            lock_stale=stale,
            now=store.clock.now(),
        )
    click.echo(output, nl=False)


@state_group.command("unlock")
@click.argument("lock_id", metavar="ID")
@env_option()
@state_option
@click.option(
    "--force",
    is_flag=True,
    help="Remove the lock even though its run is still alive on this host (that run then "
    "stops at its next save).",
)
@click.pass_context
def unlock(
    ctx: click.Context, lock_id: str, env_name: str | None, state_path: str | None, force: bool
) -> None:
    """Remove the state lock whose id is ID (left behind by a run that died).

    The id is in the message of the run that was refused, and in `reconciler state show`.
    A lock whose run is still alive on this host is kept unless --force. A lock left by a run
    on this host that is gone needs no unlock: the next run takes it over.
    """
    from reconciler.cli.context import session_of
    from reconciler.render.state import unlocked_line

    store = session_of(ctx, state=state_path, environment=env_name).plain_store()
    removed = store.unlock(lock_id, force=force)
    click.echo(unlocked_line(removed, store.location, store.clock.now()))


@state_group.command("forget")
@click.argument("dataset")
@env_option()
@state_option
@lock_timeout_option
@click.pass_context
def forget(
    ctx: click.Context,
    dataset: str,
    env_name: str | None,
    state_path: str | None,
    lock_timeout: float,
) -> None:
    """Remove DATASET's record from the state; its contract in Soda Cloud stays untouched.

    For orphaned contracts: the file was deleted, and the reconciler should stop reporting it.
    If a file for DATASET comes back, the next plan adopts the contract again.
    """
    from reconciler.cli.context import session_of
    from reconciler.render.state import forgotten_line
    from reconciler.workflow import forget as forget_record

    session = session_of(ctx, state=state_path, environment=env_name)
    forgotten = forget_record(session, dataset, lock_timeout=lock_timeout)
    click.echo(forgotten_line(forgotten))


@state_group.command("rebuild")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@env_option()
@state_option
@lock_timeout_option
@var_option
@cloud_options
@click.pass_context
def rebuild(
    ctx: click.Context,
    /,
    directory: Path | None,
    env_name: str | None,
    state_path: str | None,
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
    from reconciler.cli.context import session_of
    from reconciler.render.state import rebuilt_lines
    from reconciler.workflow import rebuild as rebuild_state

    session = session_of(
        ctx,
        directory=directory,
        state=state_path,
        variables=variables,
        cloud=cloud,
        environment=env_name,
    )
    rebuilt = rebuild_state(session, lock_timeout=lock_timeout)
    out, err = rebuilt_lines(rebuilt)
    for line in err:
        click.echo(line, err=True)
    for line in out:
        click.echo(line)


@state_group.command("migrate")
@click.option(
    "--to",
    "target",
    required=True,
    metavar="LOCATION",
    help="Where to copy the state: a file path, postgres://... or s3://BUCKET/KEY.",
)
@env_option()
@state_option
@lock_timeout_option
@click.pass_context
def migrate(
    ctx: click.Context,
    target: str,
    env_name: str | None,
    state_path: str | None,
    lock_timeout: float,
) -> None:
    """Copy the state to another place (a file, PostgreSQL, S3), keeping its lineage and
    serial, so that saved plans made from it stay valid.

    Both states are locked while it copies. Refused when the target holds another state
    (another lineage) or a later save of this one. The source is left as it was: point
    `state:` in reconciler.yml at the target afterwards.
    """
    from reconciler.cli.context import session_of
    from reconciler.render.state import migrated_line
    from reconciler.state.location import parse_location
    from reconciler.workflow import migrate as migrate_state

    session = session_of(ctx, state=state_path, environment=env_name)
    migrated = migrate_state(session, parse_location(target), lock_timeout=lock_timeout)
    click.echo(migrated_line(migrated))
