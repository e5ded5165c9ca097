"""One contract text in, its document, diagnostics and fingerprints out.

Used for files of the contracts folder (through :mod:`reconciler.desired`) and for contract
texts fetched from Soda Cloud, which may hold anything: nothing here raises for a bad text;
every problem is a diagnostic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from reconciler.contract import variables as contract_variables
from reconciler.contract.diagnostics import Diagnostic, sort_diagnostics
from reconciler.contract.document import Document, decode, encode, load_document
from reconciler.contract.fingerprint import raw_sha256, semantic_fingerprint
from reconciler.contract.model import Contract
from reconciler.contract.parsed import ParsedContract, is_stub_document
from reconciler.contract.rules import check_rules
from reconciler.contract.translate import translate
from reconciler.errors import ContractLoadError

__all__ = [
    "BOM",
    "ParsedContract",
    "is_stub_document",
    "parse_contract_bytes",
    "parse_contract_text",
    "read_document",
    "validated_model",
]

BOM = "\ufeff"


def parse_contract_text(
    text: str,
    source: str,
    *,
    variables: Mapping[str, str] | None = None,
    allow_stub: bool = False,
) -> ParsedContract:
    """Parse and validate a contract text (a file's or Soda Cloud's).

    ``source`` names the text in diagnostics. With ``allow_stub`` a stub document is valid
    (the folder's meaning: generate a skeleton); without it a stub lacks ``columns``.
    """
    try:
        data = encode(text, source)
    except ContractLoadError as error:
        return _failed(source, None, raw_sha256(text), error)
    return parse_contract_bytes(data, source, variables=variables, allow_stub=allow_stub)


def read_document(text: str, source: str) -> Any:
    """The plain document of a text, None when it is not readable YAML: the ``document`` of
    :func:`parse_contract_text`, without validating it (a diff needs no more)."""
    try:
        return load_document(encode(text, source), source).value
    except ContractLoadError:
        return None


def parse_contract_bytes(
    data: bytes,
    source: str,
    *,
    variables: Mapping[str, str] | None = None,
    allow_stub: bool = False,
) -> ParsedContract:
    """As :func:`parse_contract_text`, from the file's exact bytes."""
    supplied: Mapping[str, str] = variables or {}
    sha = raw_sha256(data)
    try:
        text = decode(data, source)
    except ContractLoadError as error:
        return _failed(source, None, sha, error)
    try:
        document = load_document(data, source)
    except ContractLoadError as error:
        return _failed(source, text, sha, error)
    value = document.value
    diagnostics: list[Diagnostic] = list(document.diagnostics)
    if text.startswith(BOM):
        diagnostics.append(_bom(source))
    stub = is_stub_document(value)
    model: Contract | None = None
    if not isinstance(value, dict):
        diagnostics.append(
            Diagnostic(
                source,
                1,
                1,
                "error",
                "not-a-mapping",
                "a contract must be a mapping of keys (dataset:, columns:, ...)",
                "Start the file with `dataset: datasource/prefix.../table`.",
            )
        )
    elif not (stub and allow_stub):
        model, problems = _validate(document, source, supplied)
        diagnostics.extend(problems)
    diagnostics.extend(
        check_rules(document, source, supplied, uses_variables=contract_variables.MARKER in text)
    )
    dataset = value.get("dataset") if isinstance(value, dict) else None
    if isinstance(dataset, str):
        dataset = contract_variables.substitute(dataset, contract_variables.values(value, supplied))
    else:
        dataset = None
    return ParsedContract(
        source=source,
        raw_text=text,
        raw_sha256=sha,
        document=value,
        semantic_fingerprint=semantic_fingerprint(value),
        dataset=dataset,
        dataset_position=document.position(("dataset",)),
        diagnostics=tuple(sort_diagnostics(diagnostics)),
        is_stub=stub,
        model=None if stub else model,
    )


def _bom(source: str) -> Diagnostic:
    # Refused rather than stripped: a file's bytes are what is published and fingerprinted,
    # so no step may see a different text than another.
    return Diagnostic(
        source,
        1,
        1,
        "error",
        "byte-order-mark",
        "the file starts with a UTF-8 byte order mark (BOM), which would be published into "
        "Soda Cloud as part of the contract",
        'Save the file as UTF-8 without a BOM (in most editors: "UTF-8", not "UTF-8 with BOM").',
    )


def validated_model(document: Any, supplied: Mapping[str, str] | None = None) -> Contract:
    """The :class:`Contract` of a plain document, its values read as the engine reads them
    (``${var.X}`` substituted); raises :class:`pydantic.ValidationError` for a document
    that has errors."""
    known = contract_variables.typed_values(document, supplied or {})
    return Contract.model_validate(contract_variables.resolved(document, known))


def _validate(
    document: Document, source: str, supplied: Mapping[str, str]
) -> tuple[Contract | None, list[Diagnostic]]:
    try:
        return validated_model(document.value, supplied), []
    except ValidationError as error:
        return None, translate(error, document, source)


def _failed(source: str, text: str | None, sha: str, error: ContractLoadError) -> ParsedContract:
    diagnostic = Diagnostic(
        source, error.line, error.col, "error", error.rule, error.message, error.hint
    )
    return ParsedContract(
        source=source,
        raw_text=text,
        raw_sha256=sha,
        document=None,
        semantic_fingerprint=None,
        dataset=None,
        dataset_position=(1, 1),
        diagnostics=(diagnostic,),
        is_stub=False,
        model=None,
    )
