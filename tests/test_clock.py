"""The simulated clock: it stands still while tasks run and jumps when all of them wait."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from reconciler.clock import SimulatedClock

START = datetime(2026, 3, 1, 12, 0, 0, 250_000, tzinfo=timezone.utc)


async def test_concurrent_sleeps_overlap_and_wake_in_order_of_their_instants() -> None:
    clock = SimulatedClock(START)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.monotonic()))

    await asyncio.gather(sleeper("five", 5), sleeper("two", 2), sleeper("three", 3))

    assert woke == [("two", 2.0), ("three", 3.0), ("five", 5.0)]
    assert clock.now() == START.replace(microsecond=0) + timedelta(seconds=5)


async def test_the_clock_stands_still_while_any_task_still_works() -> None:
    clock = SimulatedClock(START)
    seen: list[float] = []

    async def busy() -> None:
        for _ in range(200):  # many turns of the loop, each reading the clock
            seen.append(clock.monotonic())
            await asyncio.sleep(0)

    await asyncio.gather(clock.sleep(10), busy())

    assert set(seen) == {0.0}
    assert clock.monotonic() == 10.0


async def test_a_cancelled_sleeper_holds_up_nobody() -> None:
    clock = SimulatedClock(START)
    forever = asyncio.ensure_future(clock.sleep(1_000))
    await asyncio.sleep(0)
    forever.cancel()

    await clock.sleep(1)

    assert clock.monotonic() == 1.0
    assert forever.cancelled()


async def test_sleeps_in_a_row_add_up_and_zero_waits_for_the_others() -> None:
    clock = SimulatedClock(START)
    order: list[str] = []

    async def first() -> None:
        await clock.sleep(0)
        order.append("zero")

    async def second() -> None:
        order.append("running")
        await clock.sleep(1.5)
        await clock.sleep(1.5)
        order.append("three")

    await asyncio.gather(first(), second())

    assert order == ["running", "zero", "three"]
    assert clock.monotonic() == 3.0
