"""What every command reads from the click context: the project configuration, and the
state store of the project a command works on."""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler.cloud.settings import CloudSettings
from reconciler.config import ProjectConfig, load_project_config
from reconciler.state import StateLock, StateProject, StateStore


def project_config(ctx: click.Context) -> ProjectConfig:
    """The project configuration named by the global ``--config`` flag (read once per run)."""
    root = ctx.find_root()
    root.ensure_object(dict)
    if "config" not in root.obj:
        root.obj["config"] = load_project_config(root.obj.get("config_path"))
    config: ProjectConfig = root.obj["config"]
    return config


def state_project(project: ProjectConfig, contracts: Path, settings: CloudSettings) -> StateProject:
    """The project a command works on, as its state records it.

    The folder is relative to the project directory, so another checkout of the same
    repository (another CI workspace) is the same project.
    """
    folder = contracts.resolve()
    try:
        relative = os.path.relpath(folder, project.base_dir.resolve())
    except ValueError:  # another drive (Windows): only the full path can name it
        relative = str(folder)
    host = settings.host if settings.is_local else settings.base_url
    return StateProject(contracts=Path(relative).as_posix(), host=host)


def project_store(
    project: ProjectConfig, state_path: Path, contracts: Path, settings: CloudSettings
) -> StateStore:
    """The state store of a command that knows its contracts folder and Soda Cloud: it
    refuses another project's state and records this one's."""
    return StateStore(state_path, project=state_project(project, contracts, settings))


def state_lock(store: StateStore, operation: str, timeout: float) -> StateLock:
    """The store's lock for ``operation``, waiting ``timeout`` seconds (``--lock-timeout``)
    and saying on stderr when it waits or takes over a dead run's lock."""
    return store.lock(operation, timeout=timeout, report=lambda line: click.echo(line, err=True))
