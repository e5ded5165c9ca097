"""The Soda data contract language: reading, validating, fingerprinting, comparing.

Public API (what the rest of the reconciler uses):

* :func:`parse_contract_text` / :func:`parse_contract_bytes` -> :class:`ParsedContract`
* :class:`Diagnostic` and the rule ids in :data:`RULES`
* :func:`raw_sha256`, :func:`semantic_fingerprint`
* :class:`Contract` and the other models in :mod:`reconciler.contract.model`
* the semantic diff, :func:`reconciler.contract.diff.diff_contracts` (imported from its
  module, so that validating does not load deepdiff)
"""

from reconciler.contract.diagnostics import RULES, Diagnostic, Severity, sort_diagnostics
from reconciler.contract.fingerprint import canonical_json, raw_sha256, semantic_fingerprint
from reconciler.contract.model import Contract
from reconciler.contract.parse import (
    ParsedContract,
    is_stub_document,
    parse_contract_bytes,
    parse_contract_text,
)

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
