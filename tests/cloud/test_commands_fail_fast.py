"""The commands under bad conditions, as a user meets them: a mistyped or unreachable host is
named with its cause at once, a failing server is given up on after ``--retry-timeout`` with
what was tried, and the API key never goes over plain HTTP to another host."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from reconciler.emulator import RunningEmulator
from reconciler.emulator.samples import ORDERS
from tests.plan.support import contract
from tests.project import Project

LIST = "GET /api/v1/contracts"


@pytest.fixture
def project(tmp_path: Path, emulator: RunningEmulator) -> Project:
    project = Project(tmp_path, emulator)
    project.write(ORDERS, contract(ORDERS))
    return project


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("command", ["plan", "apply", "audit"])
def test_a_refused_host_ends_the_command_naming_host_and_cause(
    project: Project, closed_port: int, command: str
) -> None:
    extra = ["--auto-approve", "--dir"] if command == "apply" else []
    result = project.run(
        command,
        *extra,
        str(project.contracts),
        "--state",
        str(project.state_path),
        "--host",
        f"http://127.0.0.1:{closed_port}",
    )
    assert result.exit_code == 1, result.output
    assert f"cannot reach Soda Cloud at 127.0.0.1:{closed_port}" in result.stderr
    assert "connection was refused" in result.stderr
    assert "waiting" not in result.stderr, "nothing was retried"


def test_a_mistyped_host_is_named_with_dns_as_its_cause(project: Project) -> None:
    result = project.plan("--host", "cloud.sodaa.invalid")
    assert result.exit_code == 1, result.output
    assert "cannot reach Soda Cloud at cloud.sodaa.invalid" in result.stderr
    assert "does not resolve (DNS)" in result.stderr
    assert "cloud.us.soda.io" in result.stderr  # the hint names the right spellings


def test_a_failing_server_is_given_up_on_after_the_retry_timeout(project: Project) -> None:
    project.cloud.admin.set_faults(error_rate=1.0, seed=2)
    result = project.plan("--retry-timeout", "20s")
    assert result.exit_code == 1, result.output
    sent = project.cloud.admin.stats().count(LIST)
    assert f"gave up on 127.0.0.1:{project.cloud.url.rsplit(':', 1)[1]} after {sent} attempt" in (
        result.stderr
    )
    assert "retry budget 20 s" in result.stderr
    assert "answered 50" in result.stderr
    assert "trace ids" in result.stderr
    assert "--retry-timeout" in result.stderr  # the hint says how to wait longer


def test_a_bad_retry_timeout_is_a_clear_error(project: Project) -> None:
    result = project.plan("--retry-timeout", "a while")
    assert result.exit_code == 1
    assert "--retry-timeout: 'a while' is not a duration" in result.stderr


class Recorder(BaseHTTPRequestHandler):
    """Answers every request with an empty contract list and remembers what it was sent."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        type(self).seen.append(dict(self.headers))
        body = b'{"content": [], "first": true, "last": true, "totalPages": 1}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def named_server() -> Iterator[str]:
    """An HTTP server reached through this machine's host name: not a loopback name, so the
    key must not be sent to it in clear; what it receives is recorded."""
    name = socket.gethostname()
    try:
        address = socket.gethostbyname(name)
    except OSError:
        pytest.skip(f"this machine's host name {name!r} does not resolve")
    Recorder.seen = []
    server = ThreadingHTTPServer((address, 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{name}:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_the_key_is_never_sent_over_plain_http_to_another_host(
    project: Project, named_server: str
) -> None:
    refused = project.plan("--host", named_server)
    assert refused.exit_code == 1
    assert "refusing to send the API key over plain HTTP" in refused.stderr
    assert Recorder.seen == [], "not a single request reached the server"
    # The same server does hear a run that allows it: the check above could have failed.
    allowed = project.plan("--host", named_server, "--allow-insecure-http")
    assert allowed.exit_code == 0, allowed.output
    assert "without TLS" in allowed.stderr
    assert Recorder.seen
    assert "Authorization" in Recorder.seen[0]
