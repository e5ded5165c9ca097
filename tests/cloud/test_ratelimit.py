from __future__ import annotations

import asyncio
import random
from datetime import timedelta

from reconciler.clock import ManualClock
from reconciler.cloud.ratelimit import WINDOW_MARGIN, Lane, Limit, Operation
from reconciler.cloud.retry import Backoff, next_poll_seconds, retry_after_seconds


async def test_lane_lets_the_limit_through_then_waits_a_full_window() -> None:
    clock = ManualClock()
    lane = Lane(Operation.VERIFY, Limit(10), clock)
    waits: list[float] = []

    def listen(operation: Operation, seconds: float, reason: str) -> bool:
        waits.append(seconds)
        return True

    for _ in range(10):
        await lane.acquire(listen)
        lane.release()
    assert clock.monotonic() == 0
    await lane.acquire(listen)
    lane.release()
    assert clock.monotonic() >= 60 * (1 + WINDOW_MARGIN)
    assert len(waits) == 1


async def test_in_flight_calls_hold_their_slots() -> None:
    clock = ManualClock()
    lane = Lane(Operation.VERIFY, Limit(2), clock)
    await lane.acquire()
    await lane.acquire()
    assert lane.next_free_in() > 0
    lane.release()
    # The released slot counts from its answer: a full window must pass before it frees.
    assert lane.next_free_in() >= 60


async def test_a_window_counts_from_the_answer_not_from_the_send() -> None:
    clock = ManualClock()
    lane = Lane(Operation.PUBLISH, Limit(1), clock)
    await lane.acquire()
    clock.advance(5)  # the answer takes 5 s
    lane.release()
    assert abs(lane.next_free_in() - 60 * (1 + WINDOW_MARGIN)) < 1e-9


async def test_pause_until_holds_new_calls() -> None:
    clock = ManualClock()
    lane = Lane(Operation.LIST_CONTRACTS, Limit(60), clock)
    lane.pause_until(30)
    await lane.acquire()
    assert clock.monotonic() >= 30


async def test_waiters_are_served_in_order() -> None:
    clock = ManualClock()
    lane = Lane(Operation.VERIFY, Limit(1), clock)
    order: list[int] = []

    async def call(n: int) -> None:
        await lane.acquire()
        order.append(n)
        lane.release()

    await asyncio.gather(*(call(n) for n in range(4)))
    assert order == [0, 1, 2, 3]


def test_retry_after_in_seconds_and_as_http_date() -> None:
    clock = ManualClock()
    assert retry_after_seconds("7", clock) == 7
    later = clock.now() + timedelta(seconds=38)
    http_date = later.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert retry_after_seconds(http_date, clock) == 38
    assert retry_after_seconds("soon", clock) is None
    assert retry_after_seconds(None, clock) is None


def test_next_poll_time_is_read_as_an_instant() -> None:
    clock = ManualClock()
    instant = (clock.now() + timedelta(seconds=4)).isoformat().replace("+00:00", "Z")
    assert next_poll_seconds(instant, clock) == 4
    assert next_poll_seconds("garbage", clock) is None


def test_backoff_is_full_jitter_and_capped() -> None:
    backoff = Backoff(random.Random(1), base=1.0, cap=8.0)
    delays = [backoff.next_delay() for _ in range(10)]
    ceilings = [min(8.0, 2.0**n) for n in range(10)]
    assert all(0 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert max(delays[5:]) <= 8.0
    assert len(set(delays)) == len(delays)
