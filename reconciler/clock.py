"""Time, passed in rather than read from globals, so tests control it instead of sleeping.

Four clocks: :class:`SystemClock` (real time), :class:`ScaledClock` (faster than real),
:class:`ManualClock` (moves when told to) and :class:`SimulatedClock` (moves when every task
of a run waits for it). A clock has two faces:
- *clock seconds* (``monotonic``, ``sleep``): the unit of rate-limit windows, backoffs and
  poll intervals. A :class:`ScaledClock` runs them ``scale`` times faster than real time, so a
  60 s rate-limit window of a time-scaled emulator passes in 60/scale real seconds while the
  code that waits keeps speaking of "60 s".
- *wall time* (``now``): real UTC instants, used for timestamps the server stores and
  returns. ``seconds_until`` converts a wall instant (``Retry-After`` as an HTTP date,
  ``X-Soda-Next-Poll-Time``) into clock seconds.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import datetime, timedelta, timezone
from typing import Protocol

# Turns of the event loop in which nothing reads a simulated clock before it moves on: every
# task that can run has then run to its next wait.
SETTLE_TURNS = 16


class Clock(Protocol):
    def monotonic(self) -> float:
        """Clock seconds since an arbitrary origin; never goes backwards."""

    def now(self) -> datetime:
        """The wall time, timezone-aware UTC."""

    async def sleep(self, seconds: float) -> None:
        """Wait this many clock seconds."""

    def seconds_until(self, instant: datetime) -> float:
        """Clock seconds from now until a wall instant (negative when it has passed)."""

    @property
    def scale(self) -> float:
        """Clock seconds per real second (1 for real time)."""


class SystemClock:
    """Real time."""

    scale = 1.0

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def seconds_until(self, instant: datetime) -> float:
        return (_aware(instant) - self.now()).total_seconds()


class ScaledClock:
    """Clock seconds pass ``scale`` times faster than real seconds; wall time stays real."""

    def __init__(self, scale: float) -> None:
        if scale <= 0:
            raise ValueError("time scale must be positive")
        self.scale = float(scale)

    def monotonic(self) -> float:
        return time.monotonic() * self.scale

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.scale)

    def seconds_until(self, instant: datetime) -> float:
        return (_aware(instant) - self.now()).total_seconds() * self.scale


class ManualClock:
    """A clock that moves only when told to; ``sleep`` advances it instead of waiting.

    Thread-safe enough for tests that share it between a test thread and an emulator thread:
    reads and ``advance`` are single attribute updates.
    """

    scale = 1.0

    def __init__(self, start: datetime | None = None) -> None:
        self._start = _aware(start) if start else datetime(2026, 1, 1, tzinfo=timezone.utc)
        self._offset = 0.0

    def monotonic(self) -> float:
        return self._offset

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._offset)

    def advance(self, seconds: float) -> None:
        self._offset += max(0.0, seconds)

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)

    def seconds_until(self, instant: datetime) -> float:
        return (_aware(instant) - self.now()).total_seconds()


class SimulatedClock:
    """Simulated time for one run of concurrent tasks, as a discrete-event simulation.

    The clock stands still while anything runs. ``sleep`` waits for its instant; once every
    task that can run has run to its next wait (no task read the clock for
    :data:`SETTLE_TURNS` turns of the event loop), the clock jumps to the earliest instant
    asked for and wakes the sleepers due, in the order they went to sleep. Waits take no
    real time, and concurrent waits overlap as they would in real time.

    When nothing but the run moves the event loop (no I/O on other threads: the local Soda
    Cloud's simulated option sends HTTP and saves files in line), everything that happens is
    a function of the program alone, so every figure it prints (polls, call counts, times)
    is the same on any machine at any load. ``now`` starts at ``start``, by default the
    current second.
    """

    scale = 1.0

    def __init__(self, start: datetime | None = None) -> None:
        begin = _aware(start) if start else datetime.now(timezone.utc)
        self._start = begin.replace(microsecond=0)
        self._offset = 0.0
        self._reads = 0
        self._order = itertools.count()
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._mover: asyncio.Task[None] | None = None

    def monotonic(self) -> float:
        self._reads += 1
        return self._offset

    def now(self) -> datetime:
        self._reads += 1
        return self._start + timedelta(seconds=self._offset)

    def seconds_until(self, instant: datetime) -> float:
        return (_aware(instant) - self.now()).total_seconds()

    async def sleep(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()
        wake = self._offset + max(0.0, seconds)
        heapq.heappush(self._sleepers, (wake, next(self._order), woken))
        if self._mover is None or self._mover.done():
            self._mover = loop.create_task(self._move())
        await woken

    async def _move(self) -> None:
        while self._sleepers:
            quiet = 0
            while quiet < SETTLE_TURNS:
                seen = self._reads
                await asyncio.sleep(0)
                quiet = quiet + 1 if self._reads == seen else 0
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)  # its sleeper was cancelled
            if not self._sleepers:
                break
            self._offset = max(self._offset, self._sleepers[0][0])
            while self._sleepers and self._sleepers[0][0] <= self._offset:
                _, _, woken = heapq.heappop(self._sleepers)
                if not woken.done():
                    woken.set_result(None)


def clock_for_scale(scale: float) -> Clock:
    """The real clock for scale 1, a scaled one otherwise."""
    return SystemClock() if scale == 1 else ScaledClock(scale)


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)


def timestamp(clock: Clock) -> str:
    """Now, as plans, reports and the state record it: UTC to the second, with a ``Z``."""
    return clock.now().isoformat(timespec="seconds").replace("+00:00", "Z")
