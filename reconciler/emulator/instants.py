"""Wall instants as the emulator stores and prints them, and the bridge to clock seconds.

Lifecycles are measured in *clock seconds* (what a time-scaled or manual clock counts) but
stored as wall instants, so they survive a restart and need no background task: the state of
a scan is a function of how many clock seconds passed since its stored creation instant.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from functools import lru_cache

_MS = timedelta(milliseconds=1)
_MICROSECOND = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@lru_cache(maxsize=1 << 17)
def iso_ms(instant: datetime) -> str:
    """``2026-01-01T12:00:00.123Z``: UTC, millisecond precision, as the API prints instants.

    Cached: a page of 1000 contracts prints 2000 stored instants, the same ones every time.
    """
    utc = instant.astimezone(timezone.utc)
    return utc.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


def iso_clock_seconds_up(instant: datetime, scale: float) -> str:
    """The instant rounded up to a whole clock second, as ``X-Soda-Next-Poll-Time`` gives it.

    At scale 1 a whole second (``2026-01-01T12:00:01Z``): Soda's Python engine drops the
    fraction of a ``...Z`` instant, so a fraction would make it poll before the state moved.
    On a faster clock a clock second is ``1/scale`` real seconds; the instant then carries
    milliseconds, rounded up too, so a client on the same scale still never polls early.
    """
    micros = (instant - _EPOCH) // _MICROSECOND
    if scale == 1:
        rounded = -(-micros // 1_000_000) * 1_000_000
    else:
        clock_second = math.ceil(micros * scale / 1_000_000) / scale
        rounded = math.ceil(clock_second * 1000) * 1000
    spec = "seconds" if rounded % 1_000_000 == 0 else "milliseconds"
    stamp = _EPOCH + timedelta(microseconds=rounded)
    return stamp.isoformat(timespec=spec).removesuffix("+00:00") + "Z"


def floor_ms(instant: datetime) -> datetime:
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)


def next_stamp(previous: datetime | None, now: datetime) -> datetime:
    """A millisecond stamp strictly after ``previous``, even for two writes in one millisecond.

    Clients detect change by comparing ``lastUpdated``; two writes must never share one.
    """
    stamp = floor_ms(now)
    if previous is not None and stamp <= previous:
        stamp = floor_ms(previous) + _MS
    return stamp


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant; ``Z`` or an offset, or none at all (read as UTC)."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def elapsed(start: datetime, now: datetime, scale: float) -> float:
    """Clock seconds from ``start`` to ``now`` for a clock running ``scale`` times real time."""
    return (now - start).total_seconds() * scale


def after(start: datetime, clock_seconds: float, scale: float) -> datetime:
    """The wall instant ``clock_seconds`` clock seconds after ``start``."""
    return start + timedelta(seconds=clock_seconds / scale)
