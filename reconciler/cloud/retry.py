"""Waiting well: exponential backoff with full jitter, Retry-After, and deadlines."""

from __future__ import annotations

import random
from email.utils import parsedate_to_datetime

from reconciler.clock import Clock
from reconciler.cloud.dto import parse_instant

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})


class Backoff:
    """Full-jitter exponential backoff: attempt n waits uniform(0, min(cap, base * 2**n))."""

    def __init__(self, rng: random.Random, *, base: float = 1.0, cap: float = 30.0) -> None:
        self._rng = rng
        self._base = base
        self._cap = cap
        self._attempt = 0

    def next_delay(self) -> float:
        ceiling = min(self._cap, self._base * (2**self._attempt))
        self._attempt += 1
        return self._rng.uniform(0, ceiling)


class Deadline:
    """A point in clock time after which a retry or poll loop gives up."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        self._clock = clock
        self.seconds = seconds
        self._end = clock.monotonic() + seconds

    def remaining(self) -> float:
        return self._end - self._clock.monotonic()

    def allows(self, wait: float) -> bool:
        return wait <= self.remaining()


def retry_after_seconds(value: str | None, clock: Clock) -> float | None:
    """Clock seconds to wait from a ``Retry-After`` header: delta seconds or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        instant = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        instant = None
    if instant is None:
        instant = parse_instant(text)
    if instant is None:
        return None
    return max(0.0, clock.seconds_until(instant))


def next_poll_seconds(value: str | None, clock: Clock) -> float | None:
    """Clock seconds until ``X-Soda-Next-Poll-Time`` (an ISO instant or an HTTP date)."""
    if not value:
        return None
    instant = parse_instant(value.strip())
    if instant is None:
        try:
            instant = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError):
            return None
    return max(0.0, clock.seconds_until(instant))
