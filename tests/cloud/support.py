"""Clients and seeds for tests that talk real HTTP to a local Soda Cloud."""

from __future__ import annotations

import random
from typing import Any

from reconciler.cloud.client import SodaCloudClient
from reconciler.cloud.settings import CloudSettings, Secret
from reconciler.emulator import (
    ApiKey,
    Column,
    ContractSeed,
    DatasetSeed,
    EmulatorConfig,
    RunningEmulator,
)


def settings_for(emulator: RunningEmulator, *, key: tuple[str, str] | None = None) -> CloudSettings:
    key_id, secret = key or emulator.auth
    return CloudSettings(
        host=emulator.url,
        base_url=emulator.url,
        reporting_url=emulator.reporting_url,
        api_key_id=key_id,
        api_key_secret=Secret(secret),
        time_scale=emulator.clock.scale,
    )


def client_for(
    emulator: RunningEmulator, *, key: tuple[str, str] | None = None, **options: Any
) -> SodaCloudClient:
    options.setdefault("rng", random.Random(7))
    return SodaCloudClient(settings_for(emulator, key=key), clock=emulator.clock, **options)


def dataset_name(index: int) -> str:
    return f"warehouse/analytics/public/table_{index:05d}"


def contract_text(dataset: str, *, threshold: int = 0) -> str:
    return (
        f"dataset: {dataset}\n"
        "columns:\n"
        "  - name: id\n"
        "    data_type: integer\n"
        "    checks:\n"
        "      - missing:\n"
        f"          threshold:\n            must_be_less_than_or_equal: {threshold}\n"
    )


def bulk_seed(
    datasets: int, *, contracts: int = 0, api_keys: list[ApiKey] | None = None
) -> EmulatorConfig:
    """``datasets`` datasets, the first ``contracts`` of them with a contract."""
    names = [dataset_name(i) for i in range(datasets)]
    return EmulatorConfig(
        api_keys=api_keys or [],
        datasets=[
            DatasetSeed(qualified_name=name, columns=[Column(name="id", data_type="integer")])
            for name in names
        ],
        contracts=[
            ContractSeed(dataset=name, contents=contract_text(name)) for name in names[:contracts]
        ],
    )
