"""How an apply runs (:class:`ApplyOptions`) and where it says what it is doing
(:class:`Progress`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, Protocol

from reconciler.apply.result import DatasetOutcome

log = logging.getLogger("reconciler.apply")


@dataclass(frozen=True)
class ApplyOptions:
    generate: Literal["skeleton", "ai"] = "skeleton"
    fail_fast: bool = False
    scan_deadline: float = 3600.0  # clock seconds a verification may take


class Progress(Protocol):
    """Where apply says what it is doing (a live line on a terminal, log lines otherwise)."""

    def step(self, dataset: str, what: str) -> None: ...

    def finished(self, outcome: DatasetOutcome) -> None: ...


class SilentProgress:
    def step(self, dataset: str, what: str) -> None:
        log.info("%s: %s", dataset, what)

    def finished(self, outcome: DatasetOutcome) -> None:
        log.info("%s: %s", outcome.dataset, outcome.status.value)
