"""A real S3-compatible server for tests: moto's S3 application, served over HTTP on a free
loopback port by a subprocess of its own, stopped afterwards.

Moto checks a request's condition (``If-None-Match: *``, ``If-Match``) and then stores the
object without holding a lock, so on its threaded server two conditional writes arriving at
once could both pass their check; S3 applies a condition atomically. The server here hands
moto one request at a time, which makes every condition atomic as S3's are, while
connections stay concurrent. What moto honours was checked in
``tests/state/backends/test_s3_server.py`` and is written down in docs/state-backends.md.

Where moto (``moto[s3]`` with flask) or boto3 is not installed the tests that need it skip,
saying so. With ``RECONCILER_TESTS_NEED_S3=1`` (``.ci/run`` sets it) nothing skips: a
missing server fails its tests, so they cannot silently vanish in CI.

The fixture ``s3_server`` (session-scoped, in ``tests/conftest.py``) yields an
:class:`S3Server`; ``create_bucket`` gives a test its own bucket.

Run as ``python -m tests.s3``: it prints the port it listens on, then serves until killed.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

REQUIRED_ENV = "RECONCILER_TESTS_NEED_S3"
REGION = "us-east-1"
# Moto accepts any key; these are what the tests' clients sign with.
ACCESS_KEY_ID = "AKIARECONCILERTESTS1"
SECRET_ACCESS_KEY = "reconciler-tests-secret-" + "0" * 16

_STARTED = "listening on port "
_CLIENTS: dict[str, S3Client] = {}


def required() -> bool:
    return os.environ.get(REQUIRED_ENV, "") not in ("", "0")


def missing_reason() -> str | None:
    """Why no server can be started here; None when it can (or must: then it fails)."""
    if required():
        return None
    try:
        import boto3  # noqa: F401
        import flask  # noqa: F401
        import moto  # noqa: F401
    except ImportError:
        return (
            "needs moto's S3 server and boto3 (installed with the test extras: "
            "pip install -e '.[test]')"
        )
    return None


def credentials() -> dict[str, str]:
    """The environment a client of the test server needs (the usual AWS chain's variables)."""
    return {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
    }


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def client(self) -> S3Client:
        """A client of this server for the tests' own checks (made once: clients are slow
        to make, and thread-safe)."""
        if self.endpoint not in _CLIENTS:
            import boto3

            _CLIENTS[self.endpoint] = boto3.session.Session(
                aws_access_key_id=ACCESS_KEY_ID,
                aws_secret_access_key=SECRET_ACCESS_KEY,
                region_name=REGION,
            ).client("s3", endpoint_url=self.endpoint)
        return _CLIENTS[self.endpoint]

    def create_bucket(self, prefix: str = "state") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def url(self, bucket: str, key: str = "reconciler/state.json") -> str:
        """The state URL of an object on this server (the endpoint as a URL parameter)."""
        return f"s3://{bucket}/{key}?endpoint={self.endpoint}&region={REGION}"


def running_server() -> Iterator[S3Server]:
    """Start the server in a subprocess; stop it on the way out."""
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.s3"],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env={**os.environ, **credentials()},
        )
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            if not first.startswith(_STARTED):
                process.kill()
                process.wait()
                errors.seek(0)
                raise RuntimeError(f"moto's S3 server did not start:\n{first}{errors.read()}")
            yield S3Server(f"http://127.0.0.1:{int(first.removeprefix(_STARTED))}")
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def server_or_skip() -> Iterator[S3Server]:
    """The fixture's body: a server, or a skip that says why there is none."""
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    yield from running_server()


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def one_at_a_time(app: WsgiApp) -> WsgiApp:
    """``app``, answering one request at a time: its condition checks become atomic."""
    turn = threading.Lock()

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with turn:
            answer = app(environ, start_response)
            try:
                return [b"".join(answer)]
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()

    return serve


def serve() -> None:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per request
    app: Any = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        "127.0.0.1",
        0,
        one_at_a_time(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    sys.stdout.write(f"{_STARTED}{server.server_port}\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    serve()
