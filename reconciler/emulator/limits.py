"""Soda Cloud's documented rate limits: per endpoint, sliding 60 s windows in clock seconds.

The windows are global per endpoint template (``POST /api/v1/contracts/{contractId}/verify``
counts every contract), as the API reference states the limits per endpoint.
"""

from __future__ import annotations

import math
from collections import deque

from reconciler.clock import Clock
from reconciler.emulator.seed import Limits

WINDOW_SECONDS = 60.0

DOCUMENTED_LIMITS: dict[str, int] = {
    "GET /api/v1/contracts": 60,
    "POST /api/v1/contracts": 100,
    "POST /api/v1/contracts/actions/createSkeleton": 10,
    "GET /api/v1/contracts/actions/createSkeleton/{operationId}": 60,
    "POST /api/v1/contracts/actions/generate": 10,
    "GET /api/v1/contracts/actions/generate/{operationId}": 60,
    "GET /api/v1/contracts/{contractId}": 1000,
    "POST /api/v1/contracts/{contractId}": 100,
    "POST /api/v1/contracts/{contractId}/verify": 10,
    "GET /api/v1/contracts/{contractId}/versions": 60,
    "GET /api/v1/scans/{scanId}": 60,
    "DELETE /api/v1/scans/{scanId}": 10,
    "GET /api/v1/scans/{scanId}/logs": 60,
    # Soda's Users endpoints are documented at 60 per 60 s.
    "GET /api/v1/users": 60,
}

# Routes that count against another route's limit: two spellings of one operation.
LANES: dict[str, str] = {
    # Soda's Go CLI cancels with this route; the documented one is the DELETE.
    "POST /api/v1/scans/{scanId}/actions/cancel": "DELETE /api/v1/scans/{scanId}",
}


def lane_of(endpoint: str) -> str:
    """The endpoint whose window a request to ``endpoint`` takes its slot from."""
    return LANES.get(endpoint, endpoint)


class RateLimiter:
    def __init__(self, clock: Clock, settings: Limits) -> None:
        self._clock = clock
        self.settings = settings
        self._windows: dict[str, deque[float]] = {}

    def configure(self, settings: Limits) -> None:
        self.settings = settings

    def clear(self) -> None:
        self._windows.clear()

    def limit(self, endpoint: str) -> int | None:
        """Requests allowed per window for an endpoint (None: not limited)."""
        base = DOCUMENTED_LIMITS.get(lane_of(endpoint))
        if base is None or not self.settings.enabled:
            return None
        return max(1, math.floor(base * self.settings.multiplier))

    def acquire(self, endpoint: str) -> int | None:
        """Take a slot; when none is free, the ``Retry-After`` in whole clock seconds (>= 1)."""
        limit = self.limit(endpoint)
        if limit is None:
            return None
        now = self._clock.monotonic()
        window = self._windows.setdefault(lane_of(endpoint), deque())
        while window and now - window[0] >= WINDOW_SECONDS:
            window.popleft()
        if len(window) >= limit:
            # The slot frees when the oldest of the last ``limit`` requests leaves the window.
            frees_at = window[len(window) - limit] + WINDOW_SECONDS
            return max(1, math.ceil(frees_at - now))
        window.append(now)
        return None
