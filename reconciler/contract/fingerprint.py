"""Two fingerprints per contract: what the bytes are, and what they mean.

``raw_sha256`` changes with any edit (a comment, a space); ``semantic_fingerprint`` only
with the parsed document, so a plan can tell a formatting-only edit from a real one.

Two values mean the same when their canonical JSON is the same. :func:`same_value` and
:func:`value_key` decide that without writing the JSON: the semantic diff compares dozens of
values per contract, and serialising both sides of each was most of its time.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Hashable
from typing import Any


def raw_sha256(text: str | bytes) -> str:
    """sha256 of the exact bytes (text is encoded as UTF-8)."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", errors="surrogatepass")
    return hashlib.sha256(data).hexdigest()


def canonical_json(document: Any) -> str:
    """Sorted keys, no whitespace, non-ASCII kept: one spelling per document."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def semantic_fingerprint(document: Any) -> str:
    """sha256 of the canonical JSON of the parsed document."""
    return hashlib.sha256(
        canonical_json(document).encode("utf-8", errors="surrogatepass")
    ).hexdigest()


# The kinds JSON writes as themselves: two values of different kinds among these never have
# the same JSON (1, 1.0 and true are three spellings), except a list and a tuple.
_PLAIN = frozenset({str, int, float, bool, type(None), list, tuple, dict})
_ARRAYS = frozenset({list, tuple})


def same_value(a: Any, b: Any) -> bool:
    """``canonical_json(a) == canonical_json(b)``, without writing either.

    The JSON of a value is made of the JSON of its parts, each self-delimiting, so two values
    have the same JSON exactly when their parts do: mappings the same keys with the same
    values (order aside), arrays the same items in order, numbers the same spelling (``1``
    is not ``1.0``, ``-0.0`` is not ``0.0``, every NaN is ``NaN``). What JSON writes in its
    own way (subclasses, objects written with ``str``, keys that are not text) is compared
    by its JSON.
    """
    kind = type(a)
    if kind is not type(b):
        if kind in _ARRAYS and type(b) in _ARRAYS:
            return _same_items(a, b)
        if kind in _PLAIN and type(b) in _PLAIN:
            return False
        return canonical_json(a) == canonical_json(b)
    if kind is str or kind is int or kind is bool or a is None:
        return bool(a == b)
    if kind is float:
        return _same_float(a, b)
    if kind is dict:
        return _same_mapping(a, b)
    if kind in _ARRAYS:
        return _same_items(a, b)
    return canonical_json(a) == canonical_json(b)


def _same_float(a: float, b: float) -> bool:
    if a == b:
        return a != 0.0 or math.copysign(1.0, a) == math.copysign(1.0, b)
    return a != a and b != b  # NaN: JSON writes every one of them NaN


def _same_items(a: Any, b: Any) -> bool:
    return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))


def _same_mapping(a: dict[Any, Any], b: dict[Any, Any]) -> bool:
    if len(a) != len(b):
        return False
    for key, value in a.items():
        if type(key) is not str:
            break
        if key not in b:
            # {"1": x} and {1: x} have one JSON: only text keys can be matched by identity.
            if all(type(other) is str for other in b):
                return False
            break
        if not same_value(value, b[key]):
            return False
    else:
        return True
    return canonical_json(a) == canonical_json(b)


def value_key(value: Any) -> Hashable:
    """A hashable stand-in for ``value``: two keys are equal when the values'
    :func:`canonical_json` are (for sets of values, such as ``valid_values``)."""
    kind = type(value)
    if kind is str:
        return str(value)
    if kind is int or kind is bool or value is None:
        return (kind, value)
    if kind is float:
        return (float, repr(value) if value == value else "nan")
    if kind in _ARRAYS:
        return (list, tuple(value_key(item) for item in value))
    if kind is dict and all(type(key) is str for key in value):
        return (dict, frozenset((key, value_key(item)) for key, item in value.items()))
    # What JSON writes in its own way: keyed as it reads back. (A mapping with keys that are
    # not text is keyed with them as text; the YAML reader only ever makes text keys.)
    return value_key(json.loads(canonical_json(value)))
