"""Bad conditions get a clear answer fast: a host that cannot be reached on the first call
ends the command at once, naming the host and the cause; a server that keeps failing is
given up on after the retry budget, with an account of what was tried. Every wait runs on a
manual clock, so "fast" is a count of calls and clock seconds, never wall time."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator

import pytest

from reconciler.clock import ManualClock
from reconciler.cloud.client import SodaCloudClient
from reconciler.cloud.settings import CloudSettings, Secret
from reconciler.emulator import EmulatorFactory
from reconciler.errors import HostUnreachable, RetriesExhausted
from tests.cloud.support import client_for

LIST = "GET /api/v1/contracts"


def settings_at(url: str) -> CloudSettings:
    return CloudSettings(
        host=url,
        base_url=url,
        reporting_url=f"{url}/v1",
        api_key_id="id",
        api_key_secret=Secret("secret"),
    )


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def plain_listener() -> Iterator[int]:
    """A loopback port that accepts connections and answers every TLS hello with plain text."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port: int = server.getsockname()[1]
    stopping = threading.Event()

    def answer() -> None:
        while not stopping.is_set():
            conn, _ = server.accept()
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    yield port
    stopping.set()
    socket.create_connection(("127.0.0.1", port)).close()  # wakes the accept to see the flag
    thread.join(5)
    server.close()


async def first_call_fails(url: str) -> tuple[HostUnreachable, SodaCloudClient, ManualClock]:
    clock = ManualClock()
    async with SodaCloudClient(settings_at(url), clock=clock) as client:
        with pytest.raises(HostUnreachable) as caught:
            await client.list_contracts()
    return caught.value, client, clock


async def test_a_refused_connection_on_the_first_call_fails_at_once(closed_port: int) -> None:
    error, client, clock = await first_call_fails(f"http://127.0.0.1:{closed_port}")
    assert error.cause == "refused"
    assert error.host == f"127.0.0.1:{closed_port}"
    assert f"cannot reach Soda Cloud at 127.0.0.1:{closed_port}" in str(error)
    assert "refused" in str(error)
    assert error.hint is not None
    assert "emulator serve" in error.hint
    assert client.stats.total_calls() == 1
    assert clock.monotonic() == 0.0, "no retry waited"


async def test_a_host_that_does_not_resolve_fails_at_once_naming_dns() -> None:
    # .invalid never resolves (RFC 6761).
    error, client, clock = await first_call_fails("https://cloud.soda.invalid")
    assert error.cause == "DNS"
    assert "cloud.soda.invalid" in str(error)
    assert "does not resolve (DNS)" in str(error)
    assert client.stats.total_calls() == 1
    assert clock.monotonic() == 0.0


async def test_a_tls_failure_on_the_first_call_fails_at_once(plain_listener: int) -> None:
    error, client, clock = await first_call_fails(f"https://127.0.0.1:{plain_listener}")
    assert error.cause == "TLS"
    assert "TLS handshake failed" in str(error)
    assert error.hint is not None
    assert "http://" in error.hint
    assert client.stats.total_calls() == 1
    assert clock.monotonic() == 0.0


def test_tls_errors_are_told_from_refusals_by_their_chain() -> None:
    import httpx

    from reconciler.cloud.http import connection_cause

    def raised(error: BaseException, cause: BaseException) -> httpx.ConnectError:
        error.__cause__ = cause
        return error  # type: ignore[return-value]

    verify = ssl.SSLCertVerificationError("certificate verify failed")
    assert connection_cause(raised(httpx.ConnectError("x"), verify)) == "TLS"
    assert connection_cause(raised(httpx.ConnectError("x"), ConnectionRefusedError())) == "refused"
    assert connection_cause(raised(httpx.ConnectError("x"), socket.gaierror(-2, "n"))) == "DNS"
    assert connection_cause(httpx.RemoteProtocolError("x")) == "connection closed before an answer"


async def test_after_a_first_answer_a_lost_host_is_retried_within_the_budget(
    start_emulator: EmulatorFactory,
) -> None:
    clock = ManualClock()
    cloud = start_emulator(clock=clock)
    async with client_for(cloud, retry_deadline=20.0) as client:
        await client.list_contracts()
        cloud.stop()  # the host goes away mid-run: a passing fault, not a wrong host
        with pytest.raises(RetriesExhausted) as caught:
            await client.list_contracts()
    error = caught.value
    assert error.attempts > 1
    assert error.causes == {"connection refused": error.attempts}
    assert "retry budget 20 s" in str(error)
    assert clock.monotonic() <= 20.0


async def test_persistent_5xx_give_up_after_the_budget_with_what_was_tried(
    start_emulator: EmulatorFactory,
) -> None:
    clock = ManualClock()
    cloud = start_emulator(clock=clock)
    cloud.admin.set_faults(error_rate=1.0, seed=5)
    async with client_for(cloud) as client:  # the default budget
        with pytest.raises(RetriesExhausted) as caught:
            await client.list_contracts()
    error = caught.value
    sent = cloud.admin.stats().count(LIST)
    assert error.attempts == sent > 3
    assert set(error.causes) <= {"answered 500", "answered 503"}
    assert sum(error.causes.values()) == sent
    assert len(error.trace_ids) == sent
    assert error.trace_ids[-1] in str(error)
    assert f"after {sent} attempts" in str(error)
    assert "retry budget 180 s" in str(error)
    assert clock.monotonic() <= 180.0


async def test_persistent_resets_give_up_after_the_budget(start_emulator: EmulatorFactory) -> None:
    clock = ManualClock()
    cloud = start_emulator(clock=clock)
    cloud.admin.set_faults(reset_rate=1.0, seed=5)
    async with client_for(cloud, retry_deadline=60.0) as client:
        with pytest.raises(RetriesExhausted) as caught:
            await client.list_contracts()
    assert caught.value.causes == {"connection closed before an answer": caught.value.attempts}
    assert caught.value.attempts == cloud.admin.stats().count(LIST) > 1
    assert clock.monotonic() <= 60.0
