"""Waiting well: exponential backoff with full jitter, Retry-After, deadlines, and the retry
budget with its account of what was tried."""

from __future__ import annotations

import random
from collections import Counter
from email.utils import parsedate_to_datetime

from reconciler.clock import Clock
from reconciler.cloud.dto import parse_instant
from reconciler.errors import RetriesExhausted

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
# Clock seconds one call may keep failing before it is given up on (--retry-timeout).
DEFAULT_RETRY_BUDGET = 180.0
TRACE_IDS_SHOWN = 5


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


class RetryBudget:
    """How long one call may keep failing, and what it met meanwhile.

    The budget starts at the call's first failure and does not count waits for a rate-limit
    slot: a call queued behind others is not failing. Every failure is noted with its cause
    and trace id, so giving up says what was tried."""

    def __init__(self, clock: Clock, seconds: float, *, host: str, what: str) -> None:
        self._clock = clock
        self.seconds = seconds
        self.host = host
        self.what = what
        self._first_failure: float | None = None
        self._queued = 0.0
        self.attempts = 0
        self.causes: Counter[str] = Counter()
        self.trace_ids: list[str] = []
        # Failures after which the request may have done its work (a lost answer, a 5xx).
        self.maybe_landed = 0

    def sent(self) -> None:
        self.attempts += 1

    def queued(self, seconds: float) -> None:
        """Time spent waiting for a rate-limit slot (not charged once failing started)."""
        if self._first_failure is not None:
            self._queued += seconds

    def failed(self, cause: str, trace_id: str | None = None, *, landed: bool) -> None:
        if self._first_failure is None:
            self._first_failure = self._clock.monotonic()
        self.causes[cause] += 1
        self.maybe_landed += landed
        if trace_id:
            self.trace_ids.append(trace_id)

    @property
    def failures(self) -> int:
        return sum(self.causes.values())

    def spent(self) -> float:
        if self._first_failure is None:
            return 0.0
        return self._clock.monotonic() - self._first_failure - self._queued

    def allows(self, wait: float) -> bool:
        return self.spent() + wait <= self.seconds

    def exhausted(self) -> RetriesExhausted:
        causes = ", ".join(f"{count}x {cause}" for cause, count in self.causes.most_common())
        shown = self.trace_ids[-TRACE_IDS_SHOWN:]
        traces = f"; trace ids {', '.join(shown)}" if shown else ""
        more = (
            f" (last {TRACE_IDS_SHOWN} of {len(self.trace_ids)})"
            if len(self.trace_ids) > TRACE_IDS_SHOWN
            else ""
        )
        return RetriesExhausted(
            f"{self.what}: gave up on {self.host} after {self.attempts} attempt"
            f"{'s' if self.attempts != 1 else ''} in {self.spent():.0f} s "
            f"(retry budget {self.seconds:.0f} s): {causes}{traces}{more}",
            host=self.host,
            attempts=self.attempts,
            causes=dict(self.causes),
            trace_ids=tuple(self.trace_ids),
            hint="Soda Cloud kept failing; re-running is safe. Quote the trace ids to Soda "
            "support if it persists, or give more time with --retry-timeout.",
        )


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
