"""The embedded local Soda Cloud (``SODA_CLOUD_HOST=local``): no account needed.

The reconciler starts the local Soda Cloud in-process on a free loopback port (real HTTP),
keeps its data in ``.reconciler/local-cloud.json`` next to the state, and talks to it with
the documented local key (id ``local``, secret ``local-secret``). Its clock runs
``time_scale`` times faster than real time (60 by default) so rate-limit windows and scans
pass quickly; the client shares that clock, so both agree on what "60 s" means.

On first start it is seeded from ``cloud.seed`` in reconciler.yml. Without a seed it knows
the datasets of the contracts folder (each connected, with the columns its file names), so
plan and apply work on a team's own contracts with no account and no seed to write.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.clock import Clock
from reconciler.cloud.settings import CloudSettings, Secret
from reconciler.errors import ConfigError

if TYPE_CHECKING:
    from reconciler.emulator import EmulatorConfig

LOCAL_KEY_ID = "local"
LOCAL_KEY_SECRET = "local-secret"
DEFAULT_LOCAL_DATA = ".reconciler/local-cloud.json"


@contextmanager
def local_cloud(
    settings: CloudSettings,
    *,
    data_file: Path,
    seed_file: Path | None = None,
    known_datasets: Mapping[str, Any] | None = None,
) -> Iterator[tuple[CloudSettings, Clock]]:
    """Start the local Soda Cloud; yields the settings to reach it and its clock.

    ``known_datasets`` (dataset name -> its contract document) seeds a first start that has
    no seed file."""
    # The emulator is a separate wing: only this option (and tests) import it.
    from reconciler.emulator import DataFileError, SeedError, load_seed, start_local_cloud

    seed = None
    if not data_file.exists():
        if seed_file is not None:
            try:
                seed = load_seed(seed_file)
            except SeedError as error:
                raise ConfigError(
                    str(error), hint="Fix the seed named by cloud.seed in reconciler.yml."
                ) from None
        elif known_datasets:
            seed = seed_of(known_datasets)
    data_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        running = start_local_cloud(data_file=data_file, time_scale=settings.time_scale, seed=seed)
    except DataFileError as error:
        raise ConfigError(
            str(error), hint=f"Move {data_file} away to start the local Soda Cloud afresh."
        ) from None
    except SeedError as error:  # its data sources, read as it starts
        raise ConfigError(
            str(error), hint="Fix the seed named by cloud.seed in reconciler.yml."
        ) from None
    try:
        yield (
            dataclasses.replace(
                settings,
                base_url=running.url,
                reporting_url=running.reporting_url,
                api_key_id=running.api_key_id,
                api_key_secret=Secret(running.api_key_secret),
            ),
            running.clock,
        )
    finally:
        running.stop()


def seed_of(documents: Mapping[str, Any]) -> EmulatorConfig:
    """A local Soda Cloud knowing each dataset (connected, with its file's columns)."""
    from reconciler.emulator import EmulatorConfig

    return with_datasets_of(EmulatorConfig(), documents)


def with_datasets_of(config: EmulatorConfig, documents: Mapping[str, Any]) -> EmulatorConfig:
    """``config`` (an emulator seed) also knowing each dataset of ``documents`` it does not
    name already: connected, with the columns its file names. The seed's own entries win."""
    from reconciler.emulator import Column, DatasetSeed, EmulatorConfig

    def columns(document: Any) -> list[Column]:
        listed = document.get("columns") if isinstance(document, dict) else None
        return [
            Column(name=c["name"], data_type=str(c.get("data_type") or "varchar"))
            for c in listed or []
            if isinstance(c, dict) and isinstance(c.get("name"), str) and c["name"]
        ]

    named = {dataset.qualified_name for dataset in config.datasets}
    added = [
        DatasetSeed(qualified_name=name, columns=columns(document))
        for name, document in sorted(documents.items())
        if name not in named
    ]
    return EmulatorConfig.model_validate({**dict(config), "datasets": [*config.datasets, *added]})
