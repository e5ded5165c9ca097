"""Where a path in a contract document is, in words a person recognises.

``("columns", 2, "checks", 0, "missing", "threshold")`` reads "the threshold of check
'missing' on column 'email'". Used by every message, so they all speak alike.
"""

from __future__ import annotations

from typing import Any

from reconciler.contract.document import PathKey
from reconciler.contract.model import check_type_of

_FORMAT_KEYS = frozenset({"missing_format", "valid_format", "invalid_format"})


def node_at(document: Any, path: PathKey) -> Any:
    """The value at ``path``, or None when the path does not lead anywhere."""
    current = document
    for step in path:
        if isinstance(current, dict) and isinstance(step, str):
            current = current.get(step)
        elif isinstance(current, list) and isinstance(step, int) and 0 <= step < len(current):
            current = current[step]
        else:
            return None
    return current


def check_type_at(document: Any, entry: PathKey) -> str | None:
    """The type of the check item at ``entry`` (a ``(..., "checks", i)`` path)."""
    item = node_at(document, entry)
    if isinstance(item, dict) and item:
        return check_type_of(item)
    return None


def _column_words(document: Any, index: int) -> str:
    name = node_at(document, ("columns", index, "name"))
    return f"column '{name}'" if isinstance(name, str) else f"column #{index + 1}"


def _check_words(document: Any, entry: PathKey) -> str:
    check_type = check_type_at(document, entry) or "?"
    if len(entry) >= 4 and entry[0] == "columns" and isinstance(entry[1], int):
        return f"check '{check_type}' on {_column_words(document, entry[1])}"
    return f"dataset check '{check_type}'"


def kind_of(document: Any, path: PathKey) -> str:
    """The kind of mapping at ``path`` (a key of ``model.KNOWN_KEYS``), or ''."""
    if not path:
        return "contract"
    last = path[-1]
    if len(path) == 2 and path[0] == "columns" and isinstance(last, int):
        return "column"
    if len(path) == 2 and path[0] == "variables":
        return "variable"
    if last == "threshold":
        return "threshold"
    if last == "additional" and len(path) >= 2 and path[-2] == "threshold":
        return "additional"
    if last in ("must_be_between", "must_be_not_between"):
        return "bounds"
    if path in (("soda_runner",), ("soda_agent",)):
        return "runner"
    if last == "checks_schedule":
        return "checks_schedule"
    if last in _FORMAT_KEYS:
        return "format"
    if last == "valid_reference_data":
        return "reference"
    if len(path) >= 3 and isinstance(path[-2], int) and path[-3] == "checks":
        # (..., "checks", i, TYPE): a check body
        return str(last)
    return ""


def describe(document: Any, path: PathKey) -> str:
    """Words for the mapping or value at ``path``."""
    if not path:
        return "the contract"
    for index in range(len(path) - 1, -1, -1):
        if path[index] == "checks" and index + 1 < len(path) and isinstance(path[index + 1], int):
            entry = path[: index + 2]
            rest = path[index + 2 :]
            base = _check_words(document, entry)
            if len(rest) <= 1:
                return base
            return _inside(rest[1:], base)
    if path[0] == "columns" and len(path) >= 2 and isinstance(path[1], int):
        base = _column_words(document, path[1])
        return _inside(path[2:], base)
    if path[0] == "variables" and len(path) >= 2:
        return _inside(path[2:], f"variable '{path[1]}'")
    if path[0] in ("soda_runner", "soda_agent"):
        return _inside(path[1:], f"'{path[0]}'")
    return _inside(path[1:], f"'{path[0]}'")


def _inside(rest: PathKey, base: str) -> str:
    if not rest:
        return base
    if rest[0] == "threshold":
        if len(rest) >= 2 and rest[1] == "additional":
            return _inside(rest[2:], f"the additional threshold of {base}")
        return _inside(rest[1:], f"the threshold of {base}")
    words = ".".join(str(step) for step in rest)
    return f"'{words}' of {base}"
