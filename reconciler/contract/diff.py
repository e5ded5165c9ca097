"""The semantic diff of two contract documents, classified for the plan.

The planner compares the parsed document it would publish with the one Soda Cloud holds.
Inputs are plain data; the remote one may be anything (it was never validated here), so odd
shapes never raise: what cannot be understood is compared as a whole and reported as a
generic change.

Matching
--------
* Columns are matched by name, checks by identity: (column or dataset level, type,
  qualifier). Reordering checks is no change.
* Defaults are filled in before comparing: a bare ``- missing:`` equals
  ``threshold: {must_be: 0}``; ``level: fail``, ``metric: count``, freshness ``unit: hour``,
  ``allow_extra_columns: false``, ``optional: false`` are the defaults.
* A column removed and another added at the same position is reported as a rename (still
  breaking); the checks of the renamed column are compared with the old column's checks.

Thresholds are compared as the sets of values that pass (:mod:`reconciler.contract.thresholds`):
a new set inside the old one is *tightened*, one that contains the old one is *relaxed*,
anything else (partly overlapping, or a bound that is a ``${var.X}``) is *tightened*: it can
newly fail.

Classes, most severe first
---------------------------
| what changed | class |
|---|---|
| ``dataset`` (another dataset) | breaking |
| column removed, column renamed | breaking |
| column ``data_type`` changed (case and spacing aside) | breaking |
| check removed | breaking |
| check added | tightened |
| column added | tightened when a schema check exists, else cosmetic |
| threshold: smaller pass set / larger / other | tightened / relaxed / tightened |
| level warn -> fail / fail -> warn | tightened / relaxed |
| additional threshold added / removed | tightened / relaxed |
| metric count <-> percent, freshness unit change with a non-comparable bound | tightened |
| allow_extra_columns, allow_other_column_order turned off / on | tightened / relaxed |
| column order changed | tightened with a schema check that does not allow other orders, else cosmetic |
| valid_values fewer / more | tightened / relaxed |
| invalid_values, missing_values more / fewer | tightened / relaxed |
| valid_min, valid_min_length raised / lowered (valid_max... the other way) | tightened / relaxed |
| a validity setting added / removed; formats and reference data changed | tightened / relaxed; tightened |
| optional true -> false / false -> true | tightened / relaxed |
| data_type added / removed; sizes (character_maximum_length...) set or changed / removed | tightened / relaxed |
| filter, column_expression, expression, query, keys_query, rows_tested_query, key_column_mapping, function, freshness column or now_variable, duplicate columns, scope, scopes, reconciliation | tightened (code: any change can newly fail) |
| a variable's default, schedule variables | tightened |
| variable declared / dropped, its type, required or description | cosmetic |
| descriptions, check names, attributes, check_attributes, store_failed_rows, schedule cron and timezone, failed_rows and diagnostics sections, `kind` | cosmetic |
| anything else (unknown keys, odd shapes) | tightened |

``format-only`` is never produced here: the planner gives it when the raw text differs and
the semantic fingerprint does not.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

from deepdiff import DeepDiff

from reconciler.contract.fingerprint import canonical_json, same_value, value_key
from reconciler.contract.model import CHECK_TYPES
from reconciler.contract.thresholds import (
    COMPARISONS,
    UNIT_MINUTES,
    Passing,
    compare_passing,
    comparisons,
)
from reconciler.contract.values import as_data, show
from reconciler.plan.vocabulary import Change, ChangeClass, ChangeKind, Part, Subject

BREAKING = ChangeClass.BREAKING
TIGHTENED = ChangeClass.TIGHTENED
RELAXED = ChangeClass.RELAXED
COSMETIC = ChangeClass.COSMETIC


@dataclass(frozen=True)
class ContractDiff:
    changes: tuple[Change, ...]

    @property
    def change_class(self) -> ChangeClass | None:
        """The most severe class present; None when the documents mean the same."""
        if not self.changes:
            return None
        return max((c.change_class for c in self.changes), key=lambda c: c.severity)


# --- small tolerant helpers -------------------------------------------------------------------


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        return None if math.isnan(number) else number
    return None


# Two values mean the same when their canonical JSON does; compared without writing it.
_same = same_value


# A subject, or how to make it: most columns and checks compared have no change, and making
# a subject for each of them was a good part of the diff's time.
SubjectOf = Subject | Callable[[], Subject]


class _Changes:
    def __init__(self) -> None:
        self.items: list[Change] = []

    def add(
        self, subject: SubjectOf, kind: ChangeKind, change_class: ChangeClass, **data: Any
    ) -> None:
        if not isinstance(subject, Subject):
            subject = subject()
        self.items.append(Change(subject=subject, kind=kind, change_class=change_class, **data))

    def value(
        self, subject: SubjectOf, key: str, old: Any, new: Any, change_class: ChangeClass
    ) -> None:
        """A setting of ``subject`` set, removed or changed from ``old`` to ``new``."""
        self.add(
            subject, ChangeKind.SETTING, change_class, key=key, old=as_data(old), new=as_data(new)
        )


# --- thresholds -------------------------------------------------------------------------------


def _compare_sets(
    old: Mapping[str, Any], new: Mapping[str, Any], old_scale: float, new_scale: float
) -> ChangeClass | None:
    """A threshold's new passing values against its old ones, as a change class."""
    return _THRESHOLD_CLASS[compare_passing(old, new, old_scale, new_scale)]


_THRESHOLD_CLASS = {
    Passing.SAME: None,
    Passing.NARROWER: TIGHTENED,
    Passing.WIDER: RELAXED,
    Passing.OTHER: TIGHTENED,  # partly overlapping, or not comparable: it can newly fail
}


def _diff_threshold(
    changes: _Changes, subject: SubjectOf, check_type: str, old_raw: Any, new_raw: Any
) -> None:
    if not (isinstance(old_raw, (dict, type(None))) and isinstance(new_raw, (dict, type(None)))):
        if not _same(old_raw, new_raw):
            changes.value(subject, "threshold", old_raw, new_raw, TIGHTENED)
        return
    old, new = _mapping(old_raw), _mapping(new_raw)
    old_metric, new_metric = old.get("metric", "count"), new.get("metric", "count")
    old_unit, new_unit = old.get("unit", "hour"), new.get("unit", "hour")
    if check_type != "freshness":
        old_unit = new_unit = "hour"
    old_scale = UNIT_MINUTES.get(str(old_unit), 1.0) if check_type == "freshness" else 1.0
    new_scale = UNIT_MINUTES.get(str(new_unit), 1.0) if check_type == "freshness" else 1.0
    old_cmp, new_cmp = comparisons(old, check_type), comparisons(new, check_type)
    if old_metric != new_metric:
        changes.value(subject, "metric", old_metric, new_metric, TIGHTENED)
    elif old_unit != new_unit or not _same(old_cmp, new_cmp):
        verdict = _compare_sets(old_cmp, new_cmp, old_scale, new_scale)
        if verdict is not None:
            units = (str(old_unit), str(new_unit)) if old_unit != new_unit else None
            changes.add(
                subject,
                ChangeKind.THRESHOLD,
                verdict,
                key="threshold",
                old=as_data(old_cmp),
                new=as_data(new_cmp),
                units=units,
            )
        elif old_unit != new_unit:
            changes.value(subject, "threshold unit", old_unit, new_unit, COSMETIC)
    _diff_level(changes, subject, "level", old.get("level", "fail"), new.get("level", "fail"))
    _diff_additional(
        changes,
        subject,
        check_type,
        old.get("additional"),
        new.get("additional"),
        old_scale,
        new_scale,
    )
    handled = {"metric", "unit", "level", "additional", *COMPARISONS}
    for key in sorted((set(old) | set(new)) - handled):
        if not _same(old.get(key), new.get(key)):
            changes.value(subject, f"threshold {key}", old.get(key), new.get(key), TIGHTENED)


def _diff_level(changes: _Changes, subject: SubjectOf, key: str, old: Any, new: Any) -> None:
    if old == new:
        return
    verdict = TIGHTENED if new == "fail" else RELAXED if old == "fail" else TIGHTENED
    changes.value(subject, key, old, new, verdict)


def _diff_additional(
    changes: _Changes,
    subject: SubjectOf,
    check_type: str,
    old_raw: Any,
    new_raw: Any,
    old_scale: float,
    new_scale: float,
) -> None:
    if old_raw is None and new_raw is None:
        return
    if old_raw is None or new_raw is None:
        verdict = TIGHTENED if old_raw is None else RELAXED
        changes.value(subject, "additional threshold", old_raw, new_raw, verdict)
        return
    old, new = _mapping(old_raw), _mapping(new_raw)
    old_cmp = {k: old[k] for k in COMPARISONS if k in old}
    new_cmp = {k: new[k] for k in COMPARISONS if k in new}
    if not _same(old_cmp, new_cmp) or old_scale != new_scale:
        found = _compare_sets(old_cmp, new_cmp, old_scale, new_scale)
        if found is not None:
            changes.add(
                subject,
                ChangeKind.THRESHOLD,
                found,
                key="additional threshold",
                old=as_data(old_cmp),
                new=as_data(new_cmp),
            )
    _diff_level(
        changes, subject, "additional level", old.get("level", "fail"), new.get("level", "fail")
    )


# --- settings shared by columns and checks ----------------------------------------------------


def _as_set(value: Any) -> set[Hashable] | None:
    if not isinstance(value, list):
        return None
    return {value_key(item) for item in value}


def _diff_values(changes: _Changes, subject: SubjectOf, key: str, old: Any, new: Any) -> None:
    """valid_values (more is looser) and invalid/missing_values (more is stricter)."""
    more_is_stricter = key != "valid_values"
    if old is None or new is None:
        # a list that appears restricts what passes; one that goes away frees it
        changes.value(subject, key, old, new, TIGHTENED if old is None else RELAXED)
        return
    old_set, new_set = _as_set(old), _as_set(new)
    if old_set is None or new_set is None:
        changes.value(subject, key, old, new, TIGHTENED)
        return
    if old_set == new_set:
        return
    if new_set > old_set:
        verdict = TIGHTENED if more_is_stricter else RELAXED
    elif new_set < old_set:
        verdict = RELAXED if more_is_stricter else TIGHTENED
    else:
        verdict = TIGHTENED
    changes.value(subject, key, old, new, verdict)


def _diff_bound(changes: _Changes, subject: SubjectOf, key: str, old: Any, new: Any) -> None:
    """valid_min / valid_min_length (higher is stricter), valid_max... (lower is stricter)."""
    if old is None or new is None:
        changes.value(subject, key, old, new, TIGHTENED if old is None else RELAXED)
        return
    old_n, new_n = _number(old), _number(new)
    if old_n is None or new_n is None:
        changes.value(subject, key, old, new, TIGHTENED)
        return
    if old_n == new_n:
        return
    higher_is_stricter = key in ("valid_min", "valid_min_length")
    verdict = TIGHTENED if (new_n > old_n) == higher_is_stricter else RELAXED
    changes.value(subject, key, old, new, verdict)


def _diff_rule(changes: _Changes, subject: SubjectOf, key: str, old: Any, new: Any) -> None:
    """A format or reference: added or changed tightens, removed relaxes."""
    if old is None or new is None:
        changes.value(subject, key, old, new, TIGHTENED if old is None else RELAXED)
        return
    if isinstance(old, dict) and isinstance(new, dict):
        meaning_old = {k: v for k, v in old.items() if k != "name"}
        meaning_new = {k: v for k, v in new.items() if k != "name"}
        if _same(meaning_old, meaning_new):
            changes.value(subject, f"{key} name", old.get("name"), new.get("name"), COSMETIC)
            return
    changes.value(subject, key, old, new, TIGHTENED)


def _diff_flag(changes: _Changes, subject: SubjectOf, key: str, old: Any, new: Any) -> None:
    """allow_extra_columns, allow_other_column_order: on relaxes, off tightens."""
    old_on, new_on = old is True, new is True
    if old_on != new_on:
        changes.value(subject, key, bool(old), bool(new), RELAXED if new_on else TIGHTENED)
    elif not _same(old, new) and not (old in (None, False) and new in (None, False)):
        changes.value(subject, key, old, new, TIGHTENED)


def _diff_optional(changes: _Changes, subject: SubjectOf, key: str, old: Any, new: Any) -> None:
    old_on, new_on = old is True, new is True
    if old_on != new_on:
        changes.value(subject, key, bool(old), bool(new), RELAXED if new_on else TIGHTENED)


def _diff_size(changes: _Changes, subject: SubjectOf, key: str, old: Any, new: Any) -> None:
    """Sizes a schema check compares: set or changed tightens, removed relaxes."""
    changes.value(subject, key, old, new, RELAXED if new is None else TIGHTENED)


def _diff_data_type(changes: _Changes, subject: SubjectOf, key: str, old: Any, new: Any) -> None:
    if old is None or new is None:
        changes.value(subject, key, old, new, TIGHTENED if old is None else RELAXED)
        return
    if (
        isinstance(old, str)
        and isinstance(new, str)
        and " ".join(old.lower().split()) == " ".join(new.lower().split())
    ):
        changes.value(subject, key, old, new, COSMETIC)
        return
    changes.value(subject, key, old, new, BREAKING)


def _diff_free(changes: _Changes, subject: SubjectOf, key: str, old: Any, new: Any) -> None:
    """Free mappings (attributes): say which entries changed."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        changes.value(subject, key, old, new, COSMETIC)
        return
    found = DeepDiff(old, new, ignore_order=False)
    touched: set[str] = set()
    for kind in (
        "dictionary_item_added",
        "dictionary_item_removed",
        "values_changed",
        "type_changes",
        "iterable_item_added",
        "iterable_item_removed",
    ):
        for path in found.get(kind, []):
            touched.add(_top_key(str(path)))
    changes.add(subject, ChangeKind.ENTRIES, COSMETIC, key=key, names=tuple(sorted(touched)))


def _top_key(deepdiff_path: str) -> str:
    # "root['severity'][0]" -> "severity"
    text = deepdiff_path.removeprefix("root")
    if text.startswith("['"):
        return text[2:].split("']", 1)[0]
    return text or "entries"


def _generic(change_class: ChangeClass) -> Callable[[_Changes, SubjectOf, str, Any, Any], None]:
    def compare(changes: _Changes, subject: SubjectOf, key: str, old: Any, new: Any) -> None:
        changes.value(subject, key, old, new, change_class)

    return compare


_Comparer = Callable[[_Changes, SubjectOf, str, Any, Any], None]

_SETTINGS: dict[str, _Comparer] = {
    "valid_values": _diff_values,
    "invalid_values": _diff_values,
    "missing_values": _diff_values,
    "valid_min": _diff_bound,
    "valid_max": _diff_bound,
    "valid_min_length": _diff_bound,
    "valid_max_length": _diff_bound,
    "valid_length": _generic(TIGHTENED),
    "valid_format": _diff_rule,
    "invalid_format": _diff_rule,
    "missing_format": _diff_rule,
    "valid_reference_data": _diff_rule,
    "allow_extra_columns": _diff_flag,
    "allow_other_column_order": _diff_flag,
    "optional": _diff_optional,
    "data_type": _diff_data_type,
    "character_maximum_length": _diff_size,
    "numeric_precision": _diff_size,
    "numeric_scale": _diff_size,
    "datetime_precision": _diff_size,
    "attributes": _diff_free,
    "name": _generic(COSMETIC),
    "description": _generic(COSMETIC),
    "store_failed_rows": _generic(COSMETIC),
}


def _diff_keys(
    changes: _Changes,
    subject: SubjectOf,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    skip: Iterable[str],
) -> None:
    skipped = set(skip)
    for key in sorted((set(old) | set(new)) - skipped):
        old_value, new_value = old.get(key), new.get(key)
        if _same(old_value, new_value):
            continue
        compare = _SETTINGS.get(key, _generic(TIGHTENED))
        compare(changes, subject, key, old_value, new_value)


# --- checks ----------------------------------------------------------------------------------

Identity = tuple[str | None, str, str | None]


class _Check(NamedTuple):
    identity: Identity
    body: dict[str, Any]


def _check_type(item: Mapping[str, Any]) -> str:
    for key in item:
        if key in CHECK_TYPES:
            return str(key)
    return str(next(iter(item)))


def _checks(items: Any, column: str | None, odd: list[str]) -> dict[Identity, _Check]:
    found: dict[Identity, _Check] = {}
    if items is None:
        return found
    if not isinstance(items, list):
        odd.append(canonical_json(items))
        return found
    for item in items:
        if not isinstance(item, dict) or not item:
            odd.append(canonical_json(item))
            continue
        check_type = _check_type(item)
        body = item[check_type]
        body = body if isinstance(body, dict) else {}
        if len(item) > 1 or not isinstance(item[check_type], (dict, type(None))):
            odd.append(canonical_json(item))
        qualifier = body.get("qualifier")
        identity = (column, check_type, None if qualifier is None else show(qualifier))
        if identity in found:
            odd.append(canonical_json(item))
            continue
        found[identity] = _Check(identity, body)
    return found


def check_subject(identity: Identity) -> Subject:
    column, check_type, qualifier = identity
    return Subject(part=Part.CHECK, column=column, check=check_type, qualifier=qualifier)


def _column(name: str) -> Subject:
    return Subject(part=Part.COLUMN, column=name)


DATASET = Subject(part=Part.DATASET)
CONTRACT = Subject(part=Part.CONTRACT)
# A contract that is not a mapping is compared as a whole.
_WHOLE_CHANGE = Change(subject=CONTRACT, kind=ChangeKind.CONTRACT_CHANGED, change_class=TIGHTENED)


def _count_checks(document: Mapping[str, Any]) -> int:
    return len(_all_checks(document, [], {})[0])


def _all_checks(
    document: Mapping[str, Any], odd: list[str], renames: Mapping[str, str]
) -> tuple[dict[Identity, _Check], bool]:
    """Every check by identity (old column names mapped through ``renames``)."""
    found: dict[Identity, _Check] = {}
    has_schema_strict_order = False
    columns = document.get("columns")
    for column in columns if isinstance(columns, list) else []:
        if isinstance(column, dict) and isinstance(column.get("name"), str):
            items = column.get("checks")
            if items is not None:  # most columns have none
                name = renames.get(column["name"], column["name"])
                found.update(_checks(items, name, odd))
    dataset_checks = _checks(document.get("checks"), None, odd)
    found.update(dataset_checks)
    for check in dataset_checks.values():
        if check.identity[1] == "schema" and check.body.get("allow_other_column_order") is not True:
            has_schema_strict_order = True
    return found, has_schema_strict_order


def _has_schema(checks: Mapping[Identity, _Check]) -> bool:
    """Whether the dataset has a schema check (a column's checks never hold one)."""
    return any(key[1] == "schema" and key[0] is None for key in checks)


def _diff_check(changes: _Changes, old: _Check, new: _Check) -> None:
    if _same(old.body, new.body):
        return  # most checks are unchanged: one comparison says so
    subject = partial(check_subject, new.identity)
    check_type = new.identity[1]
    _diff_threshold(
        changes, subject, check_type, old.body.get("threshold"), new.body.get("threshold")
    )
    _diff_keys(changes, subject, old.body, new.body, skip=("threshold", "qualifier"))


# --- columns ---------------------------------------------------------------------------------


def _columns(document: Mapping[str, Any], odd: list[str]) -> list[tuple[str, dict[str, Any]]]:
    columns = document.get("columns")
    if columns is None:
        return []
    if not isinstance(columns, list):
        odd.append(canonical_json(columns))
        return []
    found: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for column in columns:
        name = column.get("name") if isinstance(column, dict) else None
        if not isinstance(name, str) or name in seen:
            odd.append(canonical_json(column))
            continue
        seen.add(name)
        found.append((name, column))
    return found


def _renames(old: list[str], new: list[str]) -> dict[str, str]:
    """Old name -> new name, for a column removed where another was added."""
    old_set, new_set = set(old), set(new)
    renames: dict[str, str] = {}
    for index, name in enumerate(old):
        if name not in new_set and index < len(new) and new[index] not in old_set:
            renames[name] = new[index]
    return renames


def _diff_columns(
    changes: _Changes,
    old_doc: Mapping[str, Any],
    new_doc: Mapping[str, Any],
    odd_old: list[str],
    odd_new: list[str],
    new_checks: tuple[dict[Identity, _Check], bool],
) -> dict[str, str]:
    """Columns removed, renamed, added, changed and reordered; ``new_checks`` are the new
    document's checks (:func:`_all_checks`), which decide how adding and reordering class."""
    old_columns = _columns(old_doc, odd_old)
    new_columns = _columns(new_doc, odd_new)
    old_names = [name for name, _ in old_columns]
    new_names = [name for name, _ in new_columns]
    renames = _renames(old_names, new_names)
    renamed_to = set(renames.values())
    old_by_name = {renames.get(name, name): column for name, column in old_columns}
    new_by_name = dict(new_columns)
    schema_now = _has_schema(new_checks[0])
    for name in old_names:
        if name in renames:
            changes.add(_column(name), ChangeKind.RENAMED, BREAKING, new=renames[name])
        elif name not in new_by_name:
            changes.add(_column(name), ChangeKind.REMOVED, BREAKING)
    for name in new_names:
        if name not in old_by_name and name not in renamed_to:
            changes.add(_column(name), ChangeKind.ADDED, TIGHTENED if schema_now else COSMETIC)
    for name, new_column in new_columns:
        old_column = old_by_name.get(name)
        if old_column is not None:
            subject = partial(_column, name)
            _diff_keys(changes, subject, old_column, new_column, skip=("name", "checks"))
    common = [
        renames.get(name, name) for name in old_names if renames.get(name, name) in new_by_name
    ]
    common_new = [name for name in new_names if name in old_by_name]
    if common != common_new:
        strict_order = new_checks[1]
        changes.add(
            Subject(part=Part.COLUMNS),
            ChangeKind.ORDER,
            TIGHTENED if strict_order else COSMETIC,
            old=common,
            new=common_new,
        )
    return renames


# --- the contract ------------------------------------------------------------------------------


def _schedule(document: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for key in ("soda_agent", "soda_runner"):
        runner = _mapping(document.get(key))
        merged.update(_mapping(runner.get("checks_schedule")))
    return merged


def _diff_variables(changes: _Changes, old: Any, new: Any) -> None:
    if _same(old, new):
        return
    if not (isinstance(old, (dict, type(None))) and isinstance(new, (dict, type(None)))):
        changes.value(DATASET, "variables", old, new, TIGHTENED)
        return
    old_vars, new_vars = _mapping(old), _mapping(new)
    for name in sorted(set(old_vars) | set(new_vars)):
        subject = Subject(part=Part.VARIABLE, variable=name)
        if name not in new_vars:
            changes.add(subject, ChangeKind.REMOVED, COSMETIC)
            continue
        if name not in old_vars:
            changes.add(subject, ChangeKind.DECLARED, COSMETIC)
            continue
        old_body, new_body = _mapping(old_vars[name]), _mapping(new_vars[name])
        if not _same(old_body.get("default"), new_body.get("default")):
            changes.value(
                subject, "default", old_body.get("default"), new_body.get("default"), TIGHTENED
            )
        for key in sorted((set(old_body) | set(new_body)) - {"default"}):
            if not _same(old_body.get(key), new_body.get(key)):
                changes.value(subject, key, old_body.get(key), new_body.get(key), COSMETIC)


def _diff_schedule(
    changes: _Changes, old_doc: Mapping[str, Any], new_doc: Mapping[str, Any]
) -> None:
    old, new = _schedule(old_doc), _schedule(new_doc)
    for key in sorted(set(old) | set(new)):
        if _same(old.get(key), new.get(key)):
            continue
        change_class = TIGHTENED if key == "variables" else COSMETIC
        changes.value(Subject(part=Part.SCHEDULE), key, old.get(key), new.get(key), change_class)


_TOP_LEVEL: dict[str, ChangeClass] = {
    "description": COSMETIC,
    "check_attributes": COSMETIC,
    "failed_rows": COSMETIC,
    "diagnostics": COSMETIC,
    # `contract` is its only value: writing it or not means the same.
    "kind": COSMETIC,
}


def _summary(document: Mapping[str, Any]) -> Change:
    checks = _count_checks(document)
    return Change(
        subject=DATASET,
        kind=ChangeKind.NEW_CONTRACT,
        change_class=TIGHTENED if checks else COSMETIC,
        counts=(len(_columns(document, [])), checks),
    )


def diff_contracts(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> ContractDiff:
    """What changes, and how, when ``new`` replaces ``old`` (None: a new contract)."""
    if not isinstance(new, dict):
        if old is not None and _same(old, new):
            return ContractDiff(())
        return ContractDiff((_WHOLE_CHANGE,))
    if old is None:
        return ContractDiff((_summary(new),))
    if not isinstance(old, dict):
        return ContractDiff((_WHOLE_CHANGE,))
    changes = _Changes()
    if not _same(old.get("dataset"), new.get("dataset")):
        changes.value(DATASET, "dataset", old.get("dataset"), new.get("dataset"), BREAKING)
    odd_old: list[str] = []
    odd_new: list[str] = []
    checked = _all_checks(new, odd_new, {})
    renames = _diff_columns(changes, old, new, odd_old, odd_new, checked)
    old_checks, _ = _all_checks(old, odd_old, renames)
    new_checks = checked[0]
    for identity in old_checks:
        if identity not in new_checks:
            changes.add(check_subject(identity), ChangeKind.REMOVED, BREAKING)
    for identity, check in new_checks.items():
        previous = old_checks.get(identity)
        if previous is None:
            changes.add(check_subject(identity), ChangeKind.ADDED, TIGHTENED)
        else:
            _diff_check(changes, previous, check)
    if sorted(odd_old) != sorted(odd_new):
        changes.add(CONTRACT, ChangeKind.ODD_ENTRIES, TIGHTENED)
    _diff_variables(changes, old.get("variables"), new.get("variables"))
    _diff_schedule(changes, old, new)
    handled = {"dataset", "columns", "checks", "variables", "soda_runner", "soda_agent"}
    for key in sorted((set(old) | set(new)) - handled):
        if _same(old.get(key), new.get(key)):
            continue
        if key == "check_attributes":
            _diff_free(changes, DATASET, key, old.get(key), new.get(key))
            continue
        changes.value(DATASET, key, old.get(key), new.get(key), _TOP_LEVEL.get(key, TIGHTENED))
    return ContractDiff(tuple(changes.items))


__all__ = [
    "Change",
    "ChangeClass",
    "ContractDiff",
    "check_subject",
    "diff_contracts",
]
