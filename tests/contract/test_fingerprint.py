"""Raw and semantic fingerprints: formatting-only edits change one, not the other."""

from __future__ import annotations

import hashlib

from reconciler.contract import (
    canonical_json,
    parse_contract_text,
    raw_sha256,
    semantic_fingerprint,
)

ORIGINAL = "dataset: pg/t\ncolumns:\n  - name: id\n    data_type: integer\n"
REFORMATTED = (
    "# owned by the data team\ncolumns: [{data_type: integer,   name: id}]\ndataset: 'pg/t'\n"
)
CHANGED = "dataset: pg/t\ncolumns:\n  - name: id\n    data_type: bigint\n"


def test_raw_sha256_is_the_sha256_of_the_exact_bytes() -> None:
    assert raw_sha256(ORIGINAL) == hashlib.sha256(ORIGINAL.encode()).hexdigest()
    assert raw_sha256(ORIGINAL.encode()) == raw_sha256(ORIGINAL)
    assert raw_sha256(ORIGINAL + " ") != raw_sha256(ORIGINAL)


def test_canonical_json_sorts_keys_and_drops_whitespace() -> None:
    assert canonical_json({"b": [1, {"d": None, "c": "é"}], "a": True}) == (
        '{"a":true,"b":[1,{"c":"é","d":null}]}'
    )


def test_a_formatting_only_edit_keeps_the_semantic_fingerprint() -> None:
    original, reformatted, changed = (
        parse_contract_text(text, "c.yml") for text in (ORIGINAL, REFORMATTED, CHANGED)
    )
    assert original.raw_sha256 != reformatted.raw_sha256
    assert original.semantic_fingerprint == reformatted.semantic_fingerprint
    assert original.semantic_fingerprint != changed.semantic_fingerprint
    assert original.semantic_fingerprint == semantic_fingerprint(original.document)


def test_numbers_and_text_are_different_meanings() -> None:
    assert semantic_fingerprint({"a": 1}) != semantic_fingerprint({"a": "1"})
