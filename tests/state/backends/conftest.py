"""Fixtures for the state backends, each on a real server the tests start.

- ``place``: one state location, parametrized over PostgreSQL and S3; ``place.open()`` gives
  a backend as a new runner would (its own connection), and ``place.holder()`` starts a
  runner in another process that takes the lock (``tests/state/backends/holder.py``).
- ``pg_place`` and ``s3_place``: the same for one server alone.
- ``runners``: backends opened on ``place``, closed after the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reconciler.clock import Clock
from reconciler.state.backend import StateBackend, StateKey, open_backend
from reconciler.state.location import LocalPath, RemoteLocation, parse_location
from tests import s3
from tests.postgres import PostgresServer
from tests.s3 import S3Server

REPOSITORY = Path(__file__).resolve().parents[3]


@dataclass
class Place:
    """Where one test's state lives, and how a runner gets there."""

    kind: str
    url: str = field(repr=False)
    key: StateKey
    env: dict[str, str] = field(repr=False)

    @property
    def location(self) -> RemoteLocation:
        parsed = parse_location(self.url)
        assert not isinstance(parsed, LocalPath)
        return parsed

    def open(
        self, *, clock: Clock | None = None, report: Callable[[str], None] | None = None
    ) -> StateBackend:
        return open_backend(self.location, self.key, clock=clock, report=report)

    def holder(self) -> Holder:
        """Another runner, in its own process, holding the lock until told to let go."""
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.state.backends.holder", self.url, *_key_args(self.key)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPOSITORY,
            env={**os.environ, **self.env},
        )
        return Holder(process)


def _key_args(key: StateKey) -> tuple[str, str]:
    return (key.project, key.environment)


@dataclass
class Holder:
    process: subprocess.Popen[str]
    lock_id: str = ""

    def wait_locked(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("locked "):
            self.process.kill()
            _, errors = self.process.communicate(timeout=60)
            raise AssertionError(f"the holder did not take the lock: {line!r}\n{errors}")
        self.lock_id = line.split()[1]
        return self.lock_id

    def let_go(self) -> str:
        """Close its input: it releases the lock and exits; returns what it printed."""
        out, errors = self.process.communicate(input="", timeout=60)
        assert self.process.returncode == 0, errors
        return out

    def kill(self) -> None:
        self.process.kill()
        self.process.communicate(timeout=60)

    @property
    def pid(self) -> int:
        return self.process.pid


@pytest.fixture(scope="module")
def state_database(postgres_server: PostgresServer) -> str:
    return postgres_server.create_database(f"states_{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module")
def bucket(s3_server: S3Server) -> str:
    return s3_server.create_bucket("states")


@pytest.fixture
def pg_place(
    postgres_server: PostgresServer, state_database: str, monkeypatch: pytest.MonkeyPatch
) -> Place:
    # The password comes from the environment, as it should in CI, never from the URL.
    env = {"PGPASSWORD": postgres_server.password}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    url = (
        f"postgresql://{postgres_server.user}@{postgres_server.host}:{postgres_server.port}/"
        f"{state_database}"
    )
    return Place("postgres", url, StateKey(f"project-{uuid.uuid4().hex[:8]}", "production"), env)


@pytest.fixture
def s3_place(s3_server: S3Server, bucket: str, monkeypatch: pytest.MonkeyPatch) -> Place:
    env = s3.credentials()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    url = s3_server.url(bucket, f"reconciler/{uuid.uuid4().hex[:8]}/state.json")
    return Place("s3", url, StateKey("unused by S3"), env)


@pytest.fixture(params=["postgres", "s3"])
def place(request: pytest.FixtureRequest) -> Place:
    found: Place = request.getfixturevalue(f"{'pg' if request.param == 'postgres' else 's3'}_place")
    return found


class Runners:
    """Backends opened on one place, each a runner of its own; closed after the test."""

    def __init__(self, place: Place) -> None:
        self.place = place
        self.opened: list[StateBackend] = []

    def open(
        self, *, clock: Clock | None = None, report: Callable[[str], None] | None = None
    ) -> StateBackend:
        backend = self.place.open(clock=clock, report=report)
        self.opened.append(backend)
        return backend

    def close(self) -> None:
        for backend in self.opened:
            backend.close()


@pytest.fixture
def runners(place: Place) -> Iterator[Runners]:
    opened = Runners(place)
    yield opened
    opened.close()
