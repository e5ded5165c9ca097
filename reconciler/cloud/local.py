"""The embedded local Soda Cloud (``SODA_CLOUD_HOST=local``): no account needed.

The reconciler starts the local Soda Cloud in-process on a free loopback port (real HTTP),
keeps its data in ``.reconciler/local-cloud.json`` next to the state, and talks to it with
the documented local key (id ``local``, secret ``local-secret``). Its clock runs
``time_scale`` times faster than real time (60 by default) so rate-limit windows and scans
pass quickly; the client shares that clock, so both agree on what "60 s" means.

On first start it is seeded from ``cloud.seed`` in reconciler.yml; on every later start the
data file holds its data, and the seed still gives its settings (its agent's data sources,
keys, limits, durations), as ``emulator serve --seed --data`` does. Without a seed it knows
the datasets of the contracts folder (each connected, with the columns its file names), so
plan and apply work on a team's own contracts with no account and no seed to write.

With ``time_scale: simulated`` both share a :class:`~reconciler.clock.SimulatedClock`, and the
command's I/O happens in line: HTTP through :class:`InlineTransport` (the event loop waits for
each answer), saves through :class:`InlineExecutor`. Nothing then depends on how fast threads
or the machine are, so a run gives the same figures every time (``make plan-examples``).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import httpx

from reconciler.clock import Clock, SimulatedClock
from reconciler.cloud.settings import CloudSettings, Secret
from reconciler.errors import ConfigError

if TYPE_CHECKING:
    from reconciler.emulator import EmulatorConfig

P = ParamSpec("P")
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class LocalCloud:
    """A running local Soda Cloud, as its client must reach it."""

    settings: CloudSettings
    clock: Clock
    # Simulated time only: the client's transport; its blocking work must run in line too.
    transport: httpx.AsyncBaseTransport | None = None

    @property
    def inline(self) -> bool:
        return self.transport is not None


def local_clock(settings: CloudSettings) -> Clock | None:
    """The clock a local Soda Cloud started for ``settings`` needs given (None: its own)."""
    return SimulatedClock() if settings.simulated else None


@contextmanager
def local_cloud(
    settings: CloudSettings,
    *,
    data_file: Path,
    seed_file: Path | None = None,
    known_datasets: Mapping[str, Any] | None = None,
) -> Iterator[LocalCloud]:
    """Start the local Soda Cloud; yields how to reach it.

    ``known_datasets`` (dataset name -> its contract document) seeds a first start that has
    no seed file."""
    # The emulator is a separate wing: only this option (and tests) import it.
    from reconciler.emulator import DataFileError, SeedError, load_seed, start_local_cloud

    seed = None
    if seed_file is not None:
        # Read on every start: its data fills only the first (the data file wins after),
        # but its agent (data_sources) and settings are needed on each.
        try:
            seed = load_seed(seed_file)
        except SeedError as error:
            raise ConfigError(
                str(error), hint="Fix the seed named by cloud.seed in reconciler.yml."
            ) from None
    elif known_datasets and not data_file.exists():
        seed = seed_of(known_datasets)
    data_file.parent.mkdir(parents=True, exist_ok=True)
    clock = local_clock(settings)
    try:
        running = start_local_cloud(
            data_file=data_file, time_scale=settings.time_scale, seed=seed, clock=clock
        )
    except DataFileError as error:
        raise ConfigError(
            str(error), hint=f"Move {data_file} away to start the local Soda Cloud afresh."
        ) from None
    except SeedError as error:  # its data sources, read as it starts
        raise ConfigError(
            str(error), hint="Fix the seed named by cloud.seed in reconciler.yml."
        ) from None
    try:
        yield LocalCloud(
            dataclasses.replace(
                settings,
                base_url=running.url,
                reporting_url=running.reporting_url,
                api_key_id=running.api_key_id,
                api_key_secret=Secret(running.api_key_secret),
            ),
            running.clock,
            InlineTransport() if clock is not None else None,
        )
    finally:
        running.stop()


class InlineTransport(httpx.AsyncBaseTransport):
    """HTTP to the in-process local Soda Cloud, sent in line: the event loop waits for each
    answer, so answers never arrive in an order that depends on the machine's speed."""

    def __init__(self) -> None:
        self._transport = httpx.HTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        sent = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=body,
            extensions=request.extensions,
        )
        response = self._transport.handle_request(sent)
        try:
            raw = b"".join(response.iter_raw())  # still encoded: the client decodes it
        finally:
            response.close()
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=raw,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        self._transport.close()


class InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs each call at once in the calling thread: with simulated time, blocking work
    (saving the state) finishes in the event loop's order, not when a thread gets to it."""

    def submit(
        self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:
            future.set_exception(error)
        return future


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
