"""Request counters for assertions (``GET /_emulator/stats``), keyed by method and template."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any


class Stats:
    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.requests: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.responses: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.faults: Counter[str] = Counter()

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "throttled": dict(self.throttled),
            "responses": {key: dict(codes) for key, codes in self.responses.items()},
            "faults": dict(self.faults),
            "total": sum(self.requests.values()),
        }
