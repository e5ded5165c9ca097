"""The session: what one command works with, built once from flags, environment and
``reconciler.yml``, and what it tells the person running it while it works.

A :class:`Session` names the project, its contracts folder, its state and its Soda Cloud, and
opens each of them for a verb: the folder read and checked (:meth:`Session.read_folder`), the
state's backend (:meth:`Session.state_store`) and its lock (:meth:`Session.lock`), a client
of Soda Cloud (:meth:`Session.connect`). Settings are resolved when first needed, in the
order a command needs them, so the first mistake a person made is the one reported.

One session value per environment: everything that differs between environments (Soda
Cloud's host and key, the state's location, contract variables, data source renames) is a
field here, so choosing an environment is choosing which settings build the session; the
verbs do not change. With an :attr:`Session.environment`, the folder is read as that
environment sees it (:mod:`reconciler.desired.environment`): every verb compares, publishes
and records the contracts as rendered for it.

The verbs never print. What a person should hear while one runs (the folder's diagnostics,
waits for a rate limit, the state lock taken over) goes to the session's :class:`Listener`,
which the command line implements with its renderers.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AbstractContextManager, asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from reconciler.clock import Clock
from reconciler.cloud.client import SodaCloudClient
from reconciler.cloud.http import Wait, log_wait
from reconciler.cloud.session import open_client
from reconciler.cloud.settings import (
    CloudFlags,
    CloudSettings,
    environment_flags,
    resolve_cloud_settings,
)
from reconciler.config import EngineMode, ProjectConfig
from reconciler.contract.referee import engine_wanted
from reconciler.desired import DesiredState, load_desired
from reconciler.desired.environment import for_environment
from reconciler.environment import Environment
from reconciler.errors import ContractsInvalid
from reconciler.state import StateManager, StateProject
from reconciler.state.backend import DEFAULT_ENVIRONMENT, StateKey
from reconciler.state.location import LocalPath, PostgresUrl, StateLocation
from reconciler.state.manager import open_state


class Listener(Protocol):
    """Who hears what a verb is doing while it works."""

    def folder_read(self, desired: DesiredState) -> None:
        """The contracts folder was read: its diagnostics, before anything else happens."""

    def waiting(self, wait: Wait) -> None:
        """A call to Soda Cloud waits (a rate limit, a retry)."""

    def note(self, line: str) -> None:
        """The state lock is waited for, or a dead run's lock is taken over."""


class QuietListener:
    """Hears nothing; waits go to the log (for benchmarks, tests and other programs)."""

    def folder_read(self, desired: DesiredState) -> None:
        pass

    def waiting(self, wait: Wait) -> None:
        log_wait(wait)

    def note(self, line: str) -> None:
        pass


@dataclass(frozen=True)
class Session:
    project: ProjectConfig
    contracts: Path  # the contracts folder, as a person typed or would type it
    state: StateLocation  # where the state lives (a path as a person would type it, a URL)
    cloud_flags: CloudFlags = field(default_factory=CloudFlags)
    variables: Mapping[str, str] = field(default_factory=dict)  # ${var.X} values (--var)
    strict: bool = False  # a path that does not mirror its dataset is an error
    # Whether Soda's engine referees the folder (--engine, else `engine:` of reconciler.yml).
    engine: EngineMode | None = None
    # The parse cache's folder (reconciler.desired.cache); None: every file is parsed.
    cache: Path | None = None
    listener: Listener = field(default_factory=QuietListener)
    # The client's clock (tests: a manual one); default: the one its Soda Cloud needs.
    clock: Clock | None = None
    # Soda Cloud's settings, for a program that resolved them itself (a benchmark).
    settings: CloudSettings | None = None
    # The environment this session works in (None: the project has no `environments:`).
    environment: Environment | None = None
    # The state's clock: lock waits and leases (tests: a manual one); default: real time.
    state_clock: Clock | None = None

    @cached_property
    def cloud(self) -> CloudSettings:
        """Soda Cloud's settings: flags, then the environment's (its host, the variables it
        names for its key), then the process environment, then ``reconciler.yml``."""
        if self.settings is not None:
            return self.settings
        flags = self.cloud_flags
        if self.environment is not None:
            flags = environment_flags(self.environment, flags)
        return resolve_cloud_settings(self.project.cloud, flags=flags)

    @property
    def environment_name(self) -> str | None:
        return self.environment.name if self.environment is not None else None

    @property
    def state_location(self) -> str:
        """The state as plans and reports name it (a URL without its password)."""
        if isinstance(self.state, LocalPath):
            return shown(self.state.path)
        return self.state.shown

    @property
    def state_path(self) -> Path | str:
        """The state as the verbs hand it to plans and reports: a path, or a shown URL."""
        return self.state.path if isinstance(self.state, LocalPath) else self.state.shown

    @property
    def engine_mode(self) -> EngineMode:
        return self.engine or self.project.engine

    def read_folder(self) -> DesiredState:
        """The contracts folder, read (refereed by Soda's engine when wanted, weighed by
        ``rules:``) and heard (as rendered for the environment, if any); stops
        (:class:`ContractsInvalid`) when a file has an error, so nothing is planned or applied
        from an invalid folder."""
        desired = load_desired(
            self.contracts,
            variables=self.variables,
            strict=self.strict,
            engine=engine_wanted(self.engine_mode),
            rules=self.project.rules,
            cache=self.cache,
        )
        if self.environment is not None and desired.ok:
            desired = for_environment(desired, self.environment)
        self.listener.folder_read(desired)
        if not desired.ok:
            count = desired.error_count
            raise ContractsInvalid(
                f"{count} error{'s' if count != 1 else ''} in {shown(desired.root)}: nothing "
                "was planned or applied",
                hint="Fix the errors above (`reconciler validate` lists them), then run again.",
            )
        return desired

    def state_store(self) -> StateManager:
        """The state of this project: another project's state is refused, and this one's
        recorded when it is first saved."""
        return self.state_at(self.state, project=self.state_project())

    def plain_store(self) -> StateManager:
        """The state at the configured place, whoever's it is (to inspect and repair it)."""
        return self.state_at(self.state)

    def state_at(
        self, location: StateLocation, *, project: StateProject | None = None
    ) -> StateManager:
        """The state at ``location``, keyed (in a store of many) by this project's name and
        this session's environment."""
        named = location.project if isinstance(location, PostgresUrl) else None
        key = StateKey(
            named or self.contracts_key(),
            self.environment_name or DEFAULT_ENVIRONMENT,
        )
        return open_state(
            location, project=project, key=key, clock=self.state_clock, report=self.listener.note
        )

    def state_project(self) -> StateProject:
        """The project as its state records it: the folder relative to the project directory
        (so another checkout of the repository is the same project) and its Soda Cloud."""
        host = self.cloud.host if self.cloud.is_local else self.cloud.base_url
        return StateProject(contracts=self.contracts_key(), host=host)

    def contracts_key(self) -> str:
        """The contracts folder relative to the project directory, as a POSIX path."""
        folder = self.contracts.resolve()
        try:
            relative = os.path.relpath(folder, self.project.base_dir.resolve())
        except ValueError:  # another drive (Windows): only the full path can name it
            relative = str(folder)
        return Path(relative).as_posix()

    def lock(
        self, store: StateManager, operation: str, timeout: float
    ) -> AbstractContextManager[Any]:
        """The store's lock for ``operation``, waiting ``timeout`` seconds (``--lock-timeout``)."""
        return store.lock(operation, timeout=timeout, report=self.listener.note)

    @asynccontextmanager
    async def connect(self, desired: DesiredState | None = None) -> AsyncIterator[SodaCloudClient]:
        """A client of this session's Soda Cloud. For ``local``, the embedded Soda Cloud is
        started for it, knowing the datasets of ``desired`` on its first start."""
        known = documents_of(desired) if desired is not None else None
        async with open_client(
            self.cloud,
            self.project,
            report_wait=self.listener.waiting,
            clock=self.clock,
            known_datasets=known,
        ) as client:
            yield client


def documents_of(desired: DesiredState) -> Mapping[str, Any]:
    """Dataset -> contract document: what a first-started local Soda Cloud learns datasets from."""
    return Documents(desired)


class Documents(Mapping[str, Any]):
    """The folder's documents, each read when looked at: only a local Soda Cloud's first
    start looks, and a file the parse cache answered is then read from its text."""

    def __init__(self, desired: DesiredState) -> None:
        self._contracts = desired.contracts

    def __getitem__(self, dataset: str) -> Any:
        return self._contracts[dataset].document

    def __iter__(self) -> Iterator[str]:
        return iter(self._contracts)

    def __len__(self) -> int:
        return len(self._contracts)


def shown(path: Path | str) -> str:
    """A path as messages show it: relative to the current directory when below it. A state
    URL (a str holding ``://``) is shown as it is given (already without its password)."""
    if isinstance(path, str):
        if "://" in path:
            return path
        path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)
