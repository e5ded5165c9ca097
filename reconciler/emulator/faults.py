"""Injected faults, drawn from ``random.Random(seed)`` so a run can be replayed exactly.

Every API request draws the same five numbers in the same order whatever the rates, so the
sequence of faults depends only on the seed and the order of requests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from reconciler.emulator.seed import Faults


@dataclass(frozen=True)
class FaultDraw:
    reset: bool = False  # break the connection before doing anything
    error_status: int | None = None  # answer 500 or 503 before doing anything
    throttle_after: int | None = None  # a spurious 429 with this Retry-After
    lose_response: bool = False  # POST: do the work, then break the response
    latency_ms: float = 0.0

    @property
    def any(self) -> bool:
        return (
            self.reset
            or self.error_status is not None
            or self.throttle_after is not None
            or self.lose_response
        )


class FaultInjector:
    def __init__(self, settings: Faults) -> None:
        self.configure(settings)

    def configure(self, settings: Faults) -> None:
        self.settings = settings
        self._random = random.Random(settings.seed)

    def draw(self, method: str) -> FaultDraw:
        s = self.settings
        r_reset, r_error, r_status, r_throttle, r_lost = (self._random.random() for _ in range(5))
        if r_reset < s.reset_rate:
            return FaultDraw(reset=True, latency_ms=s.latency_ms)
        if r_error < s.error_rate:
            return FaultDraw(error_status=500 if r_status < 0.5 else 503, latency_ms=s.latency_ms)
        if r_throttle < s.throttle_rate:
            return FaultDraw(throttle_after=1 + int(r_status * 3), latency_ms=s.latency_ms)
        if method == "POST" and r_lost < s.lost_response_rate:
            return FaultDraw(lose_response=True, latency_ms=s.latency_ms)
        return FaultDraw(latency_ms=s.latency_ms)
