"""Pydantic's validation errors, retold as diagnostics with places and hints.

Pydantic's own wording ("Extra inputs are not permitted") never reaches a person: each
error type becomes one of our rules, its location becomes ``line:col`` from the document's
position tables, and unknown keys get a "did you mean" from :mod:`difflib`.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Protocol

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from reconciler.contract.diagnostics import Diagnostic
from reconciler.contract.document import Document, PathKey
from reconciler.contract.model import (
    CHECK_TYPES,
    COLUMN_CHECK_TYPES,
    DATASET_CHECK_TYPES,
    KNOWN_KEYS,
)
from reconciler.contract.places import check_type_at, describe, kind_of

# Keys of older contract formats, with what replaced them.
_LEGACY_KEYS = {
    "data_source": "the data source is now the first part of `dataset:` (datasource/prefix.../table)",
    "dataset_prefix": "prefixes are now part of `dataset:` (datasource/prefix.../table)",
    "<<": "YAML merge keys are not supported; write the keys out",
}

_REQUIRED_HINTS = {
    "dataset": "Add `dataset: datasource/prefix.../table` (the qualified name in Soda Cloud).",
    "columns": "Add `columns:` listing the columns, or `columns: []`.",
    "name": "Every column needs `name:`.",
    "function": "Add `function:` (avg, sum, min, max, min_length, max_length, avg_length).",
    "column": "Name the column that holds the time stamp.",
    "regex": "Add `regex:` with the pattern.",
}


def _kind_words(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


_EXPECTED = {
    "string_type": "must be text",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be a mapping of keys",
    "model_type": "must be a mapping of keys",
    "model_attributes_type": "must be a mapping of keys",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
}


def _closest(word: str, choices: tuple[str, ...] | list[str]) -> str | None:
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return found[0] if found else None


def _normalise(loc: tuple[int | str, ...]) -> PathKey:
    """Drop the union tag pydantic inserts after each ``checks[i]``."""
    out: list[str | int] = []
    skip_next = False
    for index, step in enumerate(loc):
        if skip_next:
            skip_next = False
            continue
        out.append(step)
        if isinstance(step, int) and index > 0 and loc[index - 1] == "checks":
            skip_next = index + 1 < len(loc) and isinstance(loc[index + 1], str)
    return tuple(out)


class _Make(Protocol):
    def __call__(
        self,
        rule: str,
        message: str,
        hint: str | None = ...,
        *,
        key: bool = ...,
        at: PathKey | None = ...,
    ) -> Diagnostic: ...


def _is_check_entry(path: PathKey) -> bool:
    return len(path) >= 2 and isinstance(path[-1], int) and path[-2] == "checks"


def translate(error: ValidationError, document: Document, source: str) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for detail in error.errors(include_url=False):
        out.append(_one(detail, document, source))
    return out


def _one(detail: ErrorDetails, document: Document, source: str) -> Diagnostic:
    kind = detail["type"]
    path = _normalise(detail["loc"])
    doc = document.value
    value = detail.get("input")
    ctx = detail.get("ctx") or {}

    def make(
        rule: str,
        message: str,
        hint: str | None = None,
        *,
        key: bool = False,
        at: PathKey | None = None,
    ) -> Diagnostic:
        line, col = document.position(path if at is None else at, key=key)
        return Diagnostic(source, line, col, "error", rule, message, hint)

    if kind == "extra_forbidden":
        name = str(path[-1])
        parent = path[:-1]
        if _is_check_entry(parent):
            return make("check-shape", *_beside_check(doc, parent, name), key=True)
        known = KNOWN_KEYS.get(kind_of(doc, parent), ())
        guess = _closest(name, known)
        if name in _LEGACY_KEYS:
            hint = _LEGACY_KEYS[name]
        elif guess:
            hint = f"did you mean '{guess}'?"
        elif known:
            hint = "known keys here: " + ", ".join(known)
        else:
            hint = None
        return make(
            "unknown-key", f"unknown key '{name}' in {describe(doc, parent)}", hint, key=True
        )
    if kind == "missing":
        name = str(path[-1])
        parent = path[:-1]
        line, col = document.position(parent)
        where = describe(doc, parent)
        return Diagnostic(
            source,
            line,
            col,
            "error",
            "missing-key",
            f"{where} is missing the required key '{name}'",
            _REQUIRED_HINTS.get(name),
        )
    if kind == "union_tag_invalid":
        return _check_type_error(path, str(ctx.get("tag", "")), doc, make)
    if kind == "union_tag_not_found":
        return make("check-shape", *_shapeless_check(value, describe(doc, path[:-1])))
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        guess = _closest(str(value), choices)
        return make(
            "invalid-value",
            f"{_subject(doc, path)} must be one of {', '.join(choices)}, not {value!r}",
            f"did you mean '{guess}'?" if guess else None,
        )
    if kind == "too_short":
        return make("invalid-value", f"{_subject(doc, path)} must not be empty")
    if kind in ("wrong-type", "invalid-value"):
        return make(kind, f"{_subject(doc, path)} {detail['msg']}")
    if kind in _EXPECTED:
        hint = None
        if path == ("dataset",) and isinstance(value, dict):
            hint = "Write the qualified name as text: `dataset: datasource/prefix.../table`."
        return make(
            "wrong-type", f"{_subject(doc, path)} {_EXPECTED[kind]}, not {_kind_words(value)}", hint
        )
    return make("invalid-value", f"{_subject(doc, path)} has a value that is not allowed")


def _subject(doc: Any, path: PathKey) -> str:
    if not path:
        return "the contract"
    if isinstance(path[-1], int):
        return f"item {path[-1] + 1} of '{path[-2]}' in {describe(doc, path[:-2])}"
    if _is_check_entry(path[:-1]):
        return f"the body of {describe(doc, path[:-1])}"
    return f"'{path[-1]}' in {describe(doc, path[:-1])}"


def _beside_check(doc: Any, entry: PathKey, name: str) -> tuple[str, str]:
    check_type = check_type_at(doc, entry) or "?"
    message = f"a check item holds one check type, but '{name}' stands beside '{check_type}'"
    if name in CHECK_TYPES:
        return message, f"start '{name}' on its own line with '- {name}:'"
    if name in KNOWN_KEYS.get(check_type, ()):
        return message, f"indent '{name}' under '{check_type}:' (it belongs to the check)"
    guess = _closest(name, KNOWN_KEYS.get(check_type, ()))
    if guess:
        return message, f"did you mean '{guess}', indented under '{check_type}:'?"
    return message, f"keys of a '{check_type}' check go under '{check_type}:'"


def _shapeless_check(value: Any, where: str) -> tuple[str, str]:
    if isinstance(value, str):
        return (
            f"a check in {where} must be a mapping, found the text '{value}'",
            f"write '- {value}:' (with a colon)",
        )
    return (
        f"a check in {where} must be a one-key mapping like '- missing:', not {_kind_words(value)}",
        "write the check type followed by a colon, with its settings indented below it",
    )


def _check_type_error(path: PathKey, tag: str, doc: Any, make: _Make) -> Diagnostic:
    at_column = len(path) >= 3 and path[0] == "columns"
    here, there = (
        (COLUMN_CHECK_TYPES, DATASET_CHECK_TYPES)
        if at_column
        else (DATASET_CHECK_TYPES, COLUMN_CHECK_TYPES)
    )
    key_path = (*path, tag)
    if tag in there:
        if at_column:
            message = f"'{tag}' is a dataset check; it cannot stand under a column"
            hint = "move it to the top-level `checks:` list"
        else:
            message = f"'{tag}' is a column check; it cannot stand in the dataset `checks:`"
            hint = "move it under the `checks:` of the column it tests"
        return make("check-placement", message, hint, key=True, at=key_path)
    guess = _closest(tag, list(here))
    hint = f"did you mean '{guess}'?" if guess else "check types here: " + ", ".join(here)
    where = describe(doc, path[:-2]) if len(path) >= 2 else "the contract"
    return make(
        "unknown-key", f"unknown check type '{tag}' in {where}", hint, key=True, at=key_path
    )
