"""What every command reads from the click context: the project configuration; and the
state lock as commands take it."""

from __future__ import annotations

import click

from reconciler.config import ProjectConfig, load_project_config
from reconciler.state import StateLock, StateStore


def project_config(ctx: click.Context) -> ProjectConfig:
    """The project configuration named by the global ``--config`` flag (read once per run)."""
    root = ctx.find_root()
    root.ensure_object(dict)
    if "config" not in root.obj:
        root.obj["config"] = load_project_config(root.obj.get("config_path"))
    config: ProjectConfig = root.obj["config"]
    return config


def state_lock(store: StateStore, operation: str, timeout: float) -> StateLock:
    """The store's lock for ``operation``, waiting ``timeout`` seconds (``--lock-timeout``)
    and saying on stderr when it waits or takes over a dead run's lock."""
    return store.lock(operation, timeout=timeout, report=lambda line: click.echo(line, err=True))
