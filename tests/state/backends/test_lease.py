"""The S3 lock's lease, on moto's S3 and manual clocks: a run whose holder stopped renewing
(killed on another machine) takes the lock over once the lease has expired, naming whose it
took; a holder that renews keeps it; a holder whose lock was taken stops at its next save."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

import pytest

from reconciler.clock import ManualClock
from reconciler.errors import StateLocked
from reconciler.state.backend import BackendLock
from reconciler.state.backends.s3 import DEFAULT_LEASE_SECONDS, S3Backend
from reconciler.state.location import S3Url, parse_location
from tests.s3 import S3Server
from tests.state.backends.conftest import Place

START = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
# A lock as a run on another runner leaves it: its process cannot be checked from here.
ELSEWHERE = {
    "created": "2026-03-01T09:00:00Z",
    "expires": "2026-03-01T09:01:00Z",
    "host": "ci-runner-12",
    "id": "0f1e2d3c-0000-4000-8000-000000000012",
    "operation": "apply",
    "owner": "ci",
    "pid": 4242,
}


def _url(place: Place) -> S3Url:
    found = parse_location(place.url)
    assert isinstance(found, S3Url)
    return found


def _left_elsewhere(place: Place, server: S3Server) -> None:
    url = _url(place)
    server.client().put_object(
        Bucket=url.bucket, Key=url.key + ".lock", Body=json.dumps(ELSEWHERE).encode()
    )


def _expires(place: Place, server: S3Server) -> datetime:
    return _stored_expiry(server, _url(place))


def test_a_lock_of_another_runner_holds_until_its_lease_expires_then_is_taken_over(
    s3_place: Place, s3_server: S3Server
) -> None:
    _left_elsewhere(s3_place, s3_server)
    clock = ManualClock(START + timedelta(seconds=59))
    with S3Backend(_url(s3_place), clock=clock) as backend:
        with pytest.raises(StateLocked, match=r"locked by ci@ci-runner-12 \(pid 4242") as refused:
            BackendLock(backend, "apply", clock).acquire()
        assert "its lease runs until 2026-03-01T09:01:00Z" in (refused.value.hint or "")

        clock.advance(2)
        lines: list[str] = []
        with BackendLock(backend, "apply", clock, report=lines.append) as lock:
            lock.ensure_held()

    assert lines == [
        'Took over the state lock of ci@ci-runner-12 (pid 4242, operation "apply") since '
        "2026-03-01T09:00:00Z (1 minute ago): its lease expired at 2026-03-01T09:01:00Z (1s "
        "ago): that run stopped renewing it (killed, or its machine lost)."
    ]


def test_a_run_that_waits_takes_the_lock_as_soon_as_the_lease_expires(
    s3_place: Place, s3_server: S3Server
) -> None:
    _left_elsewhere(s3_place, s3_server)
    clock = ManualClock(START)
    lines: list[str] = []
    with (
        S3Backend(_url(s3_place), clock=clock) as backend,
        BackendLock(backend, "apply", clock, timeout=300, report=lines.append),
    ):
        # Each look waits one clock second: the lease of 60 s ends the wait after 60 looks.
        assert 60 <= clock.monotonic() <= 61

    assert lines[0].startswith("The state s3://")
    assert "waiting up to 5m for it (--lock-timeout)" in lines[0]
    assert lines[1].startswith("Took over the state lock of ci@ci-runner-12")


def test_the_holder_renews_its_lease_every_third_of_it(
    s3_place: Place, s3_server: S3Server
) -> None:
    holder_clock, other_clock = ManualClock(START), ManualClock(START)
    url = _url(s3_place)
    with S3Backend(url, clock=holder_clock) as holder, S3Backend(url, clock=other_clock) as other:
        lock = BackendLock(holder, "apply", holder_clock)
        info = lock.acquire()
        first = _expires(s3_place, s3_server)
        assert first == START + timedelta(seconds=DEFAULT_LEASE_SECONDS)

        holder_clock.advance(DEFAULT_LEASE_SECONDS / 3 - 1)
        assert holder.renew_lock(info)
        assert _expires(s3_place, s3_server) == first  # not due yet: nothing sent
        holder_clock.advance(1)
        assert holder.renew_lock(info)
        renewed = _expires(s3_place, s3_server)
        assert renewed == first + timedelta(seconds=DEFAULT_LEASE_SECONDS / 3)

        # Past the first lease, but within the renewed one: the lock holds.
        other_clock.advance(DEFAULT_LEASE_SECONDS + 5)
        with pytest.raises(StateLocked):
            BackendLock(other, "apply", other_clock).acquire()
        lock.ensure_held()
        lock.release()


def test_a_holder_whose_lease_was_taken_over_stops_before_its_next_save(
    s3_place: Place, s3_server: S3Server
) -> None:
    holder_clock, other_clock = ManualClock(START), ManualClock(START)
    url = _url(s3_place)
    with S3Backend(url, clock=holder_clock) as stalled, S3Backend(url, clock=other_clock) as other:
        stalled_lock = BackendLock(stalled, "apply", holder_clock)
        info = stalled_lock.acquire()
        other_clock.advance(DEFAULT_LEASE_SECONDS + 1)  # the holder stalled past its lease
        taker = BackendLock(other, "apply", other_clock, report=lambda line: None)
        taker.acquire()

        holder_clock.advance(DEFAULT_LEASE_SECONDS)
        assert not stalled.renew_lock(info)  # a renewal never revives a lock taken over
        with pytest.raises(StateLocked, match="was removed") as stopped:
            stalled_lock.ensure_held()
        assert 'operation "apply"' in stopped.value.message
        taker.ensure_held()
        taker.release()
        stalled_lock.release()


def test_the_lease_is_renewed_while_the_run_works(s3_place: Place, s3_server: S3Server) -> None:
    """The keeper renews on its own, with no save in between: it looks every second (of
    real time) and renews once a third of the lease has passed on the run's clock."""
    url = parse_location(s3_place.url + "&lease=6s")
    assert isinstance(url, S3Url)
    assert url.lease == 6
    clock = ManualClock(START)
    with S3Backend(url, clock=clock) as backend, BackendLock(backend, "apply", clock):
        assert _stored_expiry(s3_server, url) == START + timedelta(seconds=6)
        clock.advance(2)
        renewed = threading.Event()
        for _ in range(200):  # bounded: the outcome is asserted, never the time it took
            if _stored_expiry(s3_server, url) != START + timedelta(seconds=6):
                renewed.set()
                break
            renewed.wait(0.05)
        assert _stored_expiry(s3_server, url) == START + timedelta(seconds=8)


def _stored_expiry(server: S3Server, url: S3Url) -> datetime:
    stored = server.client().get_object(Bucket=url.bucket, Key=url.key + ".lock")
    text = json.loads(stored["Body"].read())["expires"]
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
