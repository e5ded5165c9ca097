"""What every command reads from the click context: the project configuration, and the
session a command's flags make of it (:class:`~reconciler.workflow.Session`), with the
command line's listener."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.cli.options import (
    cloud_flags,
    contracts_dir,
    parse_variables,
    print_wait,
    state_path,
)

if TYPE_CHECKING:
    # `validate` reads only the project configuration: the workflow, Soda Cloud's client
    # and the progress are loaded by the commands that build a session.
    from reconciler.cli.progress import LineProgress, TerminalProgress
    from reconciler.cloud.http import Wait
    from reconciler.config import ProjectConfig
    from reconciler.desired import DesiredState
    from reconciler.workflow import Session


def project_config(ctx: click.Context) -> ProjectConfig:
    """The project configuration named by the global ``--config`` flag (read once per run)."""
    from reconciler.config import load_project_config

    root = ctx.find_root()
    root.ensure_object(dict)
    if "config" not in root.obj:
        root.obj["config"] = load_project_config(root.obj.get("config_path"))
    config: ProjectConfig = root.obj["config"]
    return config


def session_of(
    ctx: click.Context,
    *,
    directory: Path | None = None,
    state: Path | None = None,
    variables: tuple[str, ...] = (),
    strict: bool = False,
    cloud: Mapping[str, Any] | None = None,
    listener: Terminal | None = None,
    cache: bool = True,
) -> Session:
    """The session of a command's flags: ``--state``, ``--var``, the cloud flags and the
    contracts folder, over ``reconciler.yml``; ``cache`` false (``--no-cache``) reads every
    file afresh."""
    from reconciler.workflow import Session

    project = project_config(ctx)
    return Session(
        project=project,
        contracts=contracts_dir(project, directory),
        state_path=state_path(project, state),
        cloud_flags=cloud_flags(cloud or {}),
        variables=parse_variables(variables),
        strict=strict,
        cache=project.cache_dir if cache else None,
        listener=listener or Terminal(),
    )


class Terminal:
    """The command line's listener: the folder's diagnostics and the lock's notes on stderr,
    waits to whatever shows progress at the moment."""

    def __init__(self) -> None:
        self.progress: TerminalProgress | LineProgress | None = None

    def folder_read(self, desired: DesiredState) -> None:
        from reconciler.render.diagnostics import render_text as render_diagnostics

        if desired.diagnostics:
            click.echo(render_diagnostics(desired), err=True, nl=False)

    def waiting(self, wait: Wait) -> None:
        if self.progress is not None:
            self.progress.wait(wait)
        else:
            print_wait(wait)

    def note(self, line: str) -> None:
        click.echo(line, err=True)
