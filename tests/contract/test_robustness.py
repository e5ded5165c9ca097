"""Whatever the text, reading it raises nothing but ContractLoadError, and parsing a
contract text (as fetched from Soda Cloud) raises nothing at all."""

from __future__ import annotations

import contextlib

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.contract import parse_contract_bytes, parse_contract_text
from reconciler.contract.document import load_document
from reconciler.errors import ContractLoadError

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = st.sampled_from(
    [
        "dataset",
        "columns",
        "checks",
        "name",
        "data_type",
        "threshold",
        "missing",
        "invalid",
        "row_count",
        "schema",
        "freshness",
        "metric",
        "failed_rows",
        "aggregate",
        "duplicate",
        "must_be",
        "must_be_between",
        "greater_than",
        "less_than",
        "additional",
        "level",
        "variables",
        "default",
        "qualifier",
        "valid_values",
        "column",
        "query",
        "expression",
        "soda_runner",
        "checks_schedule",
        "metric",
        "unit",
        "x",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["a/b", "${var.X}", "${var.", "warn", "fail", "percent", "day"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(KEYS, st.text(max_size=6)), children, max_size=5),
    ),
    max_leaves=30,
)


def _load(data: bytes) -> None:
    with contextlib.suppress(ContractLoadError):
        load_document(data, "f.yml")


@FAST
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise_anything_else(data: bytes) -> None:
    _load(data)
    parse_contract_bytes(data, "f.yml")


@FAST
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(text: str) -> None:
    parsed = parse_contract_text(text, "remote")
    assert parsed.raw_sha256


@FAST
@given(VALUES)
def test_arbitrary_yaml_documents_never_raise(value: object) -> None:
    text = yaml.safe_dump(value, allow_unicode=True)
    parsed = parse_contract_text(text, "remote")
    if parsed.document is not None:
        assert parsed.semantic_fingerprint is not None
    for diagnostic in parsed.diagnostics:
        assert diagnostic.line >= 1
        assert diagnostic.col >= 1


@FAST
@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_contract_shaped_documents_never_raise(value: dict[str, object]) -> None:
    value.setdefault("dataset", "pg/t")
    for flow in (False, True):
        parse_contract_text(
            yaml.safe_dump(value, default_flow_style=flow), "remote", allow_stub=True
        )
