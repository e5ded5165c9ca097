"""The desired state as values: the usable contract files of the folder, and what was said
about every file (diagnostics)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.contract.diagnostics import Diagnostic, count
from reconciler.contract.parsed import ParsedContract
from reconciler.environment import Environment

if TYPE_CHECKING:
    from reconciler.contract.model import Contract

# The document of a file answered by the parse cache: read from its text when first asked.
NOT_READ: Any = object()


class ReadOnDemand:
    """The ``document`` field of :class:`DesiredContract`: a file the parse cache answered
    was not parsed, and holds :data:`NOT_READ` (the default) until a comparison asks for its
    document (a steady plan never does); it is then read from the file's text, once."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, contract: DesiredContract | None, owner: type | None = None) -> Any:
        if contract is None:
            return NOT_READ
        value = contract.__dict__[self.slot]
        if value is NOT_READ:
            from reconciler.contract.parse import read_document

            value = read_document(contract.raw_text, contract.display_path)
            contract.__dict__[self.slot] = value
        return value

    def __set__(self, contract: DesiredContract, value: Any) -> None:
        contract.__dict__[self.slot] = value


@dataclass(frozen=True)
class DesiredContract:
    """One usable contract file (no errors)."""

    dataset: str
    path: Path
    display_path: str
    raw_text: str
    raw_sha256: str
    semantic_fingerprint: str
    is_stub: bool
    # The plain parsed document; NOT_READ: read from the text when asked (ReadOnDemand).
    document: Any = field(default=NOT_READ, repr=False, compare=False)
    # The ${var.X} values the folder was read with (--var): the model reads values as the
    # engine does, substituted.
    variables: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def document_read(self) -> bool:
        """Whether the document is in memory (parsed now, or asked for since)."""
        return self.__dict__["_document"] is not NOT_READ

    @cached_property
    def model(self) -> Contract | None:
        """The validated contract, its values as the engine reads them; None for a stub.
        Built on first use."""
        if self.is_stub:
            return None
        from reconciler.contract.parse import validated_model

        return validated_model(self.document, self.variables)


def _read_on_demand(owner: type, name: str) -> None:
    # Set after the class is made, so that its __init__ stores the field through it.
    descriptor = ReadOnDemand()
    descriptor.__set_name__(owner, name)
    setattr(owner, name, descriptor)


_read_on_demand(DesiredContract, "document")


@dataclass(frozen=True)
class DesiredState:
    """The folder as read: usable contracts by dataset, and every diagnostic, sorted.

    ``parsed`` holds what was understood of every file, usable or not, by display path
    (without models; without documents for the files the parse cache answered), for callers
    that need more than the usable contracts.
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
