"""What reading one contract text produced, as a value (:class:`ParsedContract`).

Apart from :mod:`reconciler.contract.parse`, which makes it, so that a folder read from the
parse cache (:mod:`reconciler.desired.cache`) loads neither the contract language's models
nor its rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.contract.diagnostics import Diagnostic
from reconciler.contract.document import Position

if TYPE_CHECKING:
    from reconciler.contract.model import Contract

_STUB_KEYS = frozenset({"dataset", "columns"})


@dataclass(frozen=True)
class ParsedContract:
    """A contract text, understood as far as it goes.

    ``document`` is the plain parsed data (None when the text is not readable YAML, and
    when the parse cache answered: :attr:`DesiredContract.document
    <reconciler.desired.model.DesiredContract.document>` reads it again when asked);
    ``dataset`` is the ``dataset`` value with every ``${var.X}`` that has a value resolved;
    ``model`` is the validated :class:`Contract` when the document has the language's shape
    (it may still break a rule: see ``ok``), and None for a stub or a malformed document.
    """

    source: str
    raw_text: str | None
    raw_sha256: str
    document: Any
    semantic_fingerprint: str | None
    dataset: str | None
    dataset_position: Position
    diagnostics: tuple[Diagnostic, ...]
    is_stub: bool
    model: Contract | None

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)


def is_stub_document(document: Any) -> bool:
    """Only ``dataset:`` (and optionally ``columns: []``): "generate a skeleton for me"."""
    return (
        isinstance(document, dict)
        and "dataset" in document
        and isinstance(document["dataset"], str)
        and set(document) <= _STUB_KEYS
        and document.get("columns", []) == []
    )
