"""The desired state as values: the usable contract files of the folder, and what was said
about every file (diagnostics)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from reconciler.contract.diagnostics import Diagnostic, count
from reconciler.contract.model import Contract
from reconciler.contract.parse import ParsedContract
from reconciler.environment import Environment


@dataclass(frozen=True)
class DesiredContract:
    """One usable contract file (no errors)."""

    dataset: str
    path: Path
    display_path: str
    raw_text: str
    raw_sha256: str
    semantic_fingerprint: str
    document: Any
    is_stub: bool

    @cached_property
    def model(self) -> Contract | None:
        """The validated contract; None for a stub. Built on first use."""
        if self.is_stub:
            return None
        return Contract.model_validate(self.document)


@dataclass(frozen=True)
class DesiredState:
    """The folder as read: usable contracts by dataset, and every diagnostic, sorted.

    ``parsed`` holds what was understood of every file, usable or not, by display path
    (without models), for callers that need more than the usable contracts.
    """

    root: Path
    contracts: dict[str, DesiredContract]
    diagnostics: list[Diagnostic]
    files_read: int
    parsed: dict[str, ParsedContract] = field(default_factory=dict, repr=False)
    # The environment the contracts are rendered for (None: as the files are).
    environment: Environment | None = None

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    @property
    def error_count(self) -> int:
        return count(self.diagnostics)[0]

    @property
    def warning_count(self) -> int:
        return count(self.diagnostics)[1]
