"""Time, passed in rather than read from globals, so tests control it instead of sleeping.

A clock has two faces:
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
import time
from datetime import datetime, timedelta, timezone
from typing import Protocol


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


def clock_for_scale(scale: float) -> Clock:
    """The real clock for scale 1, a scaled one otherwise."""
    return SystemClock() if scale == 1 else ScaledClock(scale)


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)
