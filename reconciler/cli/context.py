"""What every command reads from the click context: the project configuration."""

from __future__ import annotations

import click

from reconciler.config import ProjectConfig, load_project_config


def project_config(ctx: click.Context) -> ProjectConfig:
    """The project configuration named by the global ``--config`` flag (read once per run)."""
    root = ctx.find_root()
    root.ensure_object(dict)
    if "config" not in root.obj:
        root.obj["config"] = load_project_config(root.obj.get("config_path"))
    config: ProjectConfig = root.obj["config"]
    return config
