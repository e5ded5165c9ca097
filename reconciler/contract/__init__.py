"""The Soda data contract language: reading, validating, fingerprinting, comparing.

Public API (what the rest of the reconciler uses):

* :func:`parse_contract_text` / :func:`parse_contract_bytes` -> :class:`ParsedContract`
* :class:`Diagnostic` and the rule ids in :data:`RULES`
* :func:`raw_sha256`, :func:`semantic_fingerprint`
* :class:`Contract` and the other models in :mod:`reconciler.contract.model`
* the semantic diff, :func:`reconciler.contract.diff.diff_contracts` (imported from its
  module, so that validating does not load deepdiff)
"""

from typing import TYPE_CHECKING, Any

from reconciler.contract.diagnostics import RULES, Diagnostic, Severity, sort_diagnostics
from reconciler.contract.fingerprint import canonical_json, raw_sha256, semantic_fingerprint
from reconciler.contract.parsed import ParsedContract, is_stub_document

if TYPE_CHECKING:
    from reconciler.contract.model import Contract
    from reconciler.contract.parse import parse_contract_bytes, parse_contract_text

# Loaded when first asked for: building the models is most of the cost of importing the
# language, and a folder answered by the parse cache needs neither.
_LAZY = {
    "Contract": "reconciler.contract.model",
    "parse_contract_bytes": "reconciler.contract.parse",
    "parse_contract_text": "reconciler.contract.parse",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "RULES",
    "Contract",
    "Diagnostic",
    "ParsedContract",
    "Severity",
    "canonical_json",
    "is_stub_document",
    "parse_contract_bytes",
    "parse_contract_text",
    "raw_sha256",
    "semantic_fingerprint",
    "sort_diagnostics",
]
