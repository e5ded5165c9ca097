"""Fixtures of the emulator tests: a local Soda Cloud on a manual clock, and an HTTP client
with its admin key. A test file overrides ``clock`` or ``cloud`` when it needs another."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from reconciler.clock import ManualClock
from reconciler.emulator import EmulatorFactory, RunningEmulator


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cloud(start_emulator: EmulatorFactory, clock: ManualClock) -> RunningEmulator:
    return start_emulator(clock=clock)


@pytest.fixture
def http(cloud: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=cloud.url, auth=cloud.auth) as client:
        yield client
