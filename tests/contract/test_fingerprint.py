"""Raw and semantic fingerprints: formatting-only edits change one, not the other; two values
mean the same exactly when their canonical JSON is the same."""

from __future__ import annotations

import datetime
import enum
import hashlib
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.contract import (
    canonical_json,
    parse_contract_text,
    raw_sha256,
    semantic_fingerprint,
)
from reconciler.contract.fingerprint import same_value, value_key

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


# --- comparing values as their canonical JSON, without writing it ------------------------------

KEYS = st.sampled_from(["a", "b", "c", "1", "dataset", "must_be"])
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-2, 2)
    | st.sampled_from([0.0, -0.0, 1.0, 2.5, math.nan, math.inf, -math.inf, 1e16])
    | st.sampled_from(["", "a", "1", "true", "null", "é"])
)
DOCUMENTS = st.recursive(
    LEAVES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=20,
)


@st.composite
def respelled(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with its mappings reordered, its lists sometimes tuples, its NaNs other
    NaN objects, and now and then a part changed in a way JSON may or may not tell apart
    (1, 1.0 and true; 0.0 and -0.0; 1 and "1"; a key dropped)."""
    roll = draw(st.integers(0, 11))
    if isinstance(value, dict):
        keys = draw(st.permutations(list(value)))
        if roll == 0 and keys:
            keys = keys[1:]
        return {key: draw(respelled(value[key])) for key in keys}
    if isinstance(value, list):
        items = [draw(respelled(item)) for item in value]
        if roll == 0 and items:
            items.pop()
        return tuple(items) if roll == 1 else items
    if roll == 0 and isinstance(value, (bool, int, float)) and math.isfinite(value):
        return draw(st.sampled_from([int(value), float(value), bool(value), -float(value)]))
    if roll == 1 and value is not None and not isinstance(value, float):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return float("nan")  # another object: Python's == says no, JSON writes NaN for both
    return value


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), DOCUMENTS)
def test_values_are_the_same_exactly_when_their_canonical_json_is(
    data: st.DataObject, document: Any
) -> None:
    other = data.draw(st.one_of(respelled(document), DOCUMENTS))
    same_json = canonical_json(document) == canonical_json(other)
    assert same_value(document, other) is same_json
    assert same_value(other, document) is same_json
    assert (value_key(document) == value_key(other)) is same_json


def test_what_json_writes_in_its_own_way_is_compared_as_it_writes_it() -> None:
    class Level(str, enum.Enum):
        FAIL = "fail"

    class Size(enum.IntEnum):
        ONE = 1

    pairs: list[tuple[Any, Any, bool]] = [
        (Level.FAIL, "fail", True),
        (Size.ONE, 1, True),
        (Size.ONE, 1.0, False),
        (datetime.date(2024, 1, 2), "2024-01-02", True),  # written with str()
        ({1: "a"}, {"1": "a"}, True),  # JSON's keys are text
        ({"x": [1, 2]}, {"x": (1, 2)}, True),
        (True, 1, False),
        (0.0, -0.0, False),
        (math.nan, float("nan"), True),
    ]
    for a, b, expected in pairs:
        assert (canonical_json(a) == canonical_json(b)) is expected, (a, b)
        assert same_value(a, b) is expected, (a, b)
        assert same_value([a], [b]) is expected, (a, b)
        assert (value_key(a) == value_key(b)) is expected, (a, b)
