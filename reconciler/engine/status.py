"""Whether Soda's engine is installed, read from the installed packages' metadata: it costs
milliseconds and never imports soda-core (which takes most of a second)."""

from __future__ import annotations

from functools import cache
from importlib import metadata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.engine.model import EngineStatus

ENGINE_DISTRIBUTION = "soda-core"
SUPPORTED_SERIES = "4.28"
# soda-core loads a data source package through an entry point in this group family.
_PLUGIN_GROUP = "soda.plugins.data_source."
# Data source types the project's extras install (``pip install 'contract-reconciler[duckdb]'``).
EXTRAS = ("duckdb", "postgres")


def engine_version() -> str | None:
    """soda-core's version, None when it is not installed: one distribution's metadata,
    read without listing every package's entry points (which :func:`engine_status` does)."""
    try:
        return metadata.version(ENGINE_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


@cache
def engine_status() -> EngineStatus:
    from reconciler.engine.model import EngineStatus

    version = engine_version()
    if version is None:
        return EngineStatus(installed=False, version=None, data_source_types=())
    groups = metadata.entry_points().groups
    types = sorted(
        group.removeprefix(_PLUGIN_GROUP) for group in groups if group.startswith(_PLUGIN_GROUP)
    )
    return EngineStatus(installed=True, version=version, data_source_types=tuple(types))


def install_hint(data_source_type: str | None = None) -> str:
    """What to install for the engine, or for one data source type."""
    if data_source_type in EXTRAS:
        return (
            f"Install Soda's engine for it: pip install 'contract-reconciler[{data_source_type}]'."
        )
    if data_source_type is not None:
        return (
            f"Install Soda's package for {data_source_type} beside the engine: "
            f"pip install 'soda-{data_source_type}=={SUPPORTED_SERIES}.*'."
        )
    return "Install Soda's engine with a data source package: pip install 'contract-reconciler[duckdb]' (or [postgres])."
