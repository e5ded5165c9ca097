"""Which checks a change can make fail: the ``checkPaths`` of a verification that runs only
those (``--verify changed-checks``), from the semantic diff.

Check paths are spelt as Soda's engine spells a check's path and as Soda Cloud takes them
in ``POST /contracts/{id}/verify`` (docs/engine.md): ``checks.row_count`` for a dataset
check, ``columns.email.checks.missing`` for a column check, ``.QUALIFIER`` appended when the
check has one.

| change (tightened or breaking) | checks to run |
|---|---|
| a check added, or one of its settings tightened | that check |
| a check removed | none (nothing left to run) |
| a column added, removed, renamed, its type, sizes or `optional` | the schema check(s) |
| a column's own setting (missing or validity values, formats...) | that column's checks, and the schema check(s) |
| the column order | the schema check(s) |
| anything about the dataset as a whole (filter, variables, schedule, the contract unreadable...) | every check: :data:`WHOLE` |
| relaxed, cosmetic, format-only | none: nothing can newly fail |

A check this module cannot name safely (one with a ``scope``, a qualifier that is no plain
string) makes it :data:`WHOLE` too: the full verification is the safe answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from reconciler.plan.vocabulary import Change, ChangeClass, ChangeKind, Part

WHOLE = None
"""Every check of the contract: a verification without ``checkPaths``."""

_CAN_FAIL = frozenset({ChangeClass.TIGHTENED, ChangeClass.BREAKING})
# A column's settings that only its schema check reads; its other settings (missing and
# validity values, formats) are read by its own checks too.
_SCHEMA_SETTINGS = frozenset(
    {
        "data_type",
        "character_maximum_length",
        "numeric_precision",
        "numeric_scale",
        "datetime_precision",
        "optional",
    }
)


class _Whole(Exception):
    """A change no list of checks covers."""


def check_path(column: str | None, check_type: str, qualifier: str | None) -> str:
    """``columns.<column>.checks.<type>[.<qualifier>]`` or ``checks.<type>[.<qualifier>]``."""
    head = f"columns.{column}.checks" if column is not None else "checks"
    return f"{head}.{check_type}" + (f".{qualifier}" if qualifier is not None else "")


def changed_check_paths(changes: Iterable[Change], document: Any) -> tuple[str, ...] | None:
    """The paths of the checks of ``document`` (the contract to publish) that ``changes``
    can make fail, sorted; :data:`WHOLE` (None) when a change reaches every check."""
    if not isinstance(document, Mapping):
        return WHOLE
    checks = dict(_checks(document))
    try:
        paths = {path for change in changes for path in _paths(change, checks)}
    except _Whole:
        return WHOLE
    return tuple(sorted(paths))


# (column, type, qualifier) -> (path, or None when it cannot be named safely)
_Checks = Mapping[tuple[str | None, str, str | None], str | None]


def _paths(change: Change, checks: _Checks) -> Iterator[str]:
    if change.change_class not in _CAN_FAIL:
        return
    subject = change.subject
    if subject.part is Part.CHECK:
        if change.kind is ChangeKind.REMOVED:
            return
        yield _named(checks, (subject.column, str(subject.check), subject.qualifier))
    elif subject.part is Part.COLUMN:
        yield from _schema(checks)
        column = change.new if change.kind is ChangeKind.RENAMED else subject.column
        if change.kind is ChangeKind.SETTING and change.key not in _SCHEMA_SETTINGS:
            yield from (
                _named(checks, key) for key in checks if key[0] is not None and key[0] == column
            )
    elif subject.part is Part.COLUMNS:
        yield from _schema(checks)
    else:
        raise _Whole


def _named(checks: _Checks, key: tuple[str | None, str, str | None]) -> str:
    path = checks.get(key)
    if path is None:  # not in the contract as written, or not nameable safely
        raise _Whole
    return path


def _schema(checks: _Checks) -> Iterator[str]:
    for key in checks:
        if key[0] is None and key[1] == "schema":
            yield _named(checks, key)


def _checks(
    document: Mapping[str, Any],
) -> Iterator[tuple[tuple[str | None, str, str | None], str | None]]:
    columns = document.get("columns")
    for column in columns if isinstance(columns, list) else []:
        if isinstance(column, Mapping) and isinstance(column.get("name"), str):
            yield from _named_checks(column.get("checks"), column["name"])
    yield from _named_checks(document.get("checks"), None)


def _named_checks(
    items: Any, column: str | None
) -> Iterator[tuple[tuple[str | None, str, str | None], str | None]]:
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping) or len(item) != 1:
            continue
        ((check_type, body),) = item.items()
        body = body if isinstance(body, Mapping) else {}
        qualifier = body.get("qualifier")
        nameable = "scope" not in body and (qualifier is None or isinstance(qualifier, str))
        shown = None if qualifier is None else str(qualifier)
        key = (column, str(check_type), shown)
        yield key, check_path(column, str(check_type), shown) if nameable else None
