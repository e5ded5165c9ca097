"""The rules of the contract language that relate several values.

They run on the plain document, whatever its shape: a part that has the wrong kind of
value is skipped here (the models report it), so one run reports a typo in one check and an
inverted threshold in another. Each rule says what is wrong, where, and what to do.

| rule | what it catches |
|---|---|
| dataset-name | ``dataset`` without at least ``datasource/table``; an empty, '.' or '..' part |
| dataset-name-character | ``dataset`` holding a control, invisible, bidi or unpaired character |
| dataset-name-lookalike (warning) | a part of ``dataset`` mixing Latin with Cyrillic or Greek letters |
| empty-checks | a dataset-level ``checks: []`` (the engine refuses it) |
| duplicate-column | two columns with one name |
| duplicate-check-identity | same type on the same column (or both at dataset level) and same qualifier |
| missing-threshold | aggregate, metric and freshness checks have no default threshold |
| threshold-not-allowed (warning) | a threshold on a schema check, which ignores it |
| threshold-comparisons | comparisons that cannot be combined; a between without both bounds |
| threshold-range | between bounds with lower >= upper; not-between with greater <= less; lower and upper comparisons that no value satisfies |
| threshold-metric | ``metric`` on a check type without count/percent; percent on a query failed_rows without rows_tested_query |
| threshold-unit | ``unit`` outside freshness |
| threshold-additional | ``additional`` when the outer threshold has not exactly one comparison, or the same level |
| invalid-without-config | an ``invalid`` check with no valid/invalid setting, on it or on its column |
| failed-rows-form / metric-form | not exactly one of expression / query (/ keys_query) |
| size-key-type | a size key on a Soda data type that does not take it (as the engine judges it) |
| size-key-native-type (warning) | a size key that looks wrong for a type only the data source knows |
| undeclared-variable | ``${var.X}`` without ``variables: {X: ...}`` |
| variable-without-value | a declared variable with no default, no schedule value and no ``--var`` |
| variable-timestamp | a ``NOW`` variable whose value is not an ISO 8601 timestamp |
| unused-variable (warning) | a declared variable nothing uses |
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from reconciler.contract import variables as contract_variables
from reconciler.contract.diagnostics import Diagnostic, Severity
from reconciler.contract.document import Document, PathKey
from reconciler.contract.model import (
    CHECK_TYPES,
    COMPARISON_KEYS,
    VALIDITY_KEYS,
)
from reconciler.contract.names import name_problems, shown
from reconciler.contract.places import describe

_CHECK_TYPE_SET = frozenset(CHECK_TYPES)
NEEDS_THRESHOLD = frozenset({"aggregate", "metric", "freshness"})
HAS_METRIC = frozenset({"missing", "invalid", "duplicate", "failed_rows"})
_LOWER = ("greater_than", "greater_than_or_equal")
_UPPER = ("less_than", "less_than_or_equal")
_ALONE = frozenset({"must_be", "must_not_be", "must_be_between", "must_be_not_between"})
_OUTER_LOWER = ("must_be_greater_than", "must_be_greater_than_or_equal")
_OUTER_UPPER = ("must_be_less_than", "must_be_less_than_or_equal")

# The data types the engine judges size keys on without a data source: soda-core 4.28's
# ``SodaDataTypeName`` values (``soda_core.common.metadata_types``), read from the type as
# written up to any "(" (``contract_yaml._resolve_to_soda_type``). Any other name is the data
# source's own, judged only when a verification binds its dialect.
SODA_DATA_TYPES = frozenset(
    {
        "char", "varchar", "text", "smallint", "integer", "bigint", "decimal", "numeric",
        "float", "double", "timestamp", "timestamp_tz", "date", "time", "boolean",
    }
)  # fmt: skip
# Which of those take each size key: the engine's default dialect
# (``contract_yaml._DefaultSqlDialect`` over ``SqlDialect.data_type_has_parameter_*``).
_SIZE_KEYS: dict[str, tuple[str, frozenset[str]]] = {
    "character_maximum_length": ("char, text, varchar", frozenset({"char", "varchar", "text"})),
    "numeric_precision": ("decimal, numeric", frozenset({"decimal", "numeric"})),
    "numeric_scale": ("decimal, numeric", frozenset({"decimal", "numeric"})),
    "datetime_precision": (
        "time, timestamp, timestamp_tz",
        frozenset({"time", "timestamp", "timestamp_tz"}),
    ),
}
# For a data source's own type names: the words that make a size key plausible.
_NATIVE_FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "character_maximum_length": ("character types", ("char", "text", "string", "clob")),
    "numeric_precision": ("numeric types", ("numeric", "decimal", "number", "dec")),
    "numeric_scale": ("numeric types", ("numeric", "decimal", "number", "dec")),
    "datetime_precision": ("date/time types", ("timestamp", "time", "interval")),
}


class CheckAt(NamedTuple):
    """One check item of the document, located."""

    entry: PathKey  # (..., "checks", i)
    check_type: str
    body: Mapping[str, Any]
    column_index: int | None


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


def checks_of(document: Any) -> Iterator[CheckAt]:
    """Every well-formed check item (a mapping whose key is a known type)."""
    if not isinstance(document, dict):
        return
    columns = document.get("columns")
    lists: list[tuple[PathKey, Any, int | None]] = []
    if isinstance(columns, list):
        for index, column in enumerate(columns):
            if isinstance(column, dict):
                lists.append((("columns", index, "checks"), column.get("checks"), index))
    lists.append((("checks",), document.get("checks"), None))
    for path, items, column_index in lists:
        if not isinstance(items, list):
            continue
        for position, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            for key in item:
                if key in _CHECK_TYPE_SET:
                    body = item[key]
                    yield CheckAt(
                        (*path, position),
                        key,
                        body if isinstance(body, dict) else {},
                        column_index,
                    )
                    break


class _Rules:
    def __init__(self, document: Document, source: str, supplied: Mapping[str, str]) -> None:
        self.document = document
        # Variables are judged on the text as written; values (bounds, sizes) as the engine
        # reads them, with ${var.X} substituted.
        self.raw: Any = document.value
        self.known = contract_variables.typed_values(self.raw, supplied)
        self.doc: Any = contract_variables.resolved(self.raw, self.known)
        self.source = source
        self.supplied = supplied
        self.out: list[Diagnostic] = []
        self.checks_found = list(checks_of(self.doc))

    def emit(
        self,
        rule: str,
        path: PathKey,
        message: str,
        hint: str | None = None,
        *,
        key: bool = False,
        severity: Severity = "error",
    ) -> None:
        line, col = self.document.position(path, key=key)
        self.out.append(Diagnostic(self.source, line, col, severity, rule, message, hint))

    def run(self, *, uses_variables: bool) -> list[Diagnostic]:
        doc = self.doc
        if not isinstance(doc, dict):
            return self.out
        self.dataset_name(self.raw.get("dataset"))
        if doc.get("checks") == []:
            self.emit(
                "empty-checks",
                ("checks",),
                "the dataset `checks:` list is empty",
                "Add at least one check, or remove `checks:`.",
                key=True,
            )
        columns = doc.get("columns")
        if isinstance(columns, list):
            self.columns(columns)
        self.checks()
        self.variables(uses_variables)
        return self.out

    # --- dataset and columns ---------------------------------------------------------------

    def dataset_name(self, dataset: Any) -> None:
        """The one name rule (:mod:`reconciler.contract.names`), on the name as resolved."""
        if not isinstance(dataset, str):
            return
        resolved = contract_variables.substitute(dataset, self.known)
        for problem in name_problems(resolved):
            self.emit(
                problem.rule,
                ("dataset",),
                f"dataset '{shown(resolved)}': {problem.reason}",
                problem.hint,
                severity=problem.severity,
            )

    def columns(self, columns: list[Any]) -> None:
        first_at: dict[str, int] = {}
        for index, column in enumerate(columns):
            if not isinstance(column, dict):
                continue
            name = column.get("name")
            if isinstance(name, str):
                if name in first_at:
                    line = self.document.position(("columns", first_at[name], "name"))[0]
                    self.emit(
                        "duplicate-column",
                        ("columns", index, "name"),
                        f"column '{name}' is declared twice (first at line {line})",
                        "Merge the two entries; a column appears once.",
                    )
                else:
                    first_at[name] = index
            self.size_keys(column, index)

    def size_keys(self, column: dict[str, Any], index: int) -> None:
        data_type = column.get("data_type")
        if not isinstance(data_type, str) or column.keys().isdisjoint(_SIZE_KEYS):
            return
        base = data_type.split("(", 1)[0].strip().lower()
        where = describe(self.doc, ("columns", index))
        for key, (fits, types) in _SIZE_KEYS.items():
            if key not in column:
                continue
            if base in SODA_DATA_TYPES:
                if base not in types:
                    self.emit(
                        "size-key-type",
                        ("columns", index, key),
                        f"'{key}' does not fit the data type '{data_type}' of {where}; it "
                        f"applies to {fits}",
                        f"Remove '{key}' or correct `data_type`.",
                        key=True,
                    )
                continue
            family, words = _NATIVE_FAMILIES[key]
            if not any(word in base for word in words):
                self.emit(
                    "size-key-native-type",
                    ("columns", index, key),
                    f"'{key}' looks wrong for the data type '{data_type}' of {where}; it "
                    f"applies to {family}",
                    "Soda's engine judges it against the data source's types when it "
                    f"verifies; remove '{key}' or correct `data_type` if it does not fit.",
                    key=True,
                    severity="warning",
                )
        scale: Any = column.get("numeric_scale")
        precision: Any = column.get("numeric_precision")
        if is_number(scale) and is_number(precision) and scale > precision:
            self.emit(
                "size-key-type",
                ("columns", index, "numeric_scale"),
                f"numeric_scale {scale} is larger than numeric_precision {precision}",
                key=True,
            )

    # --- checks -----------------------------------------------------------------------------

    def checks(self) -> None:
        first_at: dict[tuple[int | None, str, str | None], PathKey] = {}
        for check in self.checks_found:
            body = check.body
            qualifier = body.get("qualifier")
            identity = (
                check.column_index,
                check.check_type,
                None if qualifier is None else str(qualifier),
            )
            if identity in first_at:
                self.duplicate_identity(check, first_at[identity])
            else:
                first_at[identity] = check.entry
            # A misplaced check (reported by the model) still gets its own body's rules.
            self.check_body(check)

    def duplicate_identity(self, check: CheckAt, first: PathKey) -> None:
        line = self.document.position((*first, check.check_type), key=True)[0]
        where = describe(self.doc, check.entry)
        self.emit(
            "duplicate-check-identity",
            (*check.entry, check.check_type),
            f"{where} has the same identity as the check at line {line} "
            "(same type, same column, same qualifier)",
            "Give each of them a distinct `qualifier:` (a `name:` does not distinguish checks).",
            key=True,
        )

    def check_body(self, check: CheckAt) -> None:
        body, kind = check.body, check.check_type
        body_path = (*check.entry, kind)
        where = _Where(self.doc, check.entry)
        threshold = body.get("threshold")
        if kind == "schema" and "threshold" in body:
            # The engine reads no threshold on a schema check: it fails on any mismatch,
            # whatever a `level:` says (soda-core 4.28, SchemaCheckImpl._build_threshold).
            self.emit(
                "threshold-not-allowed",
                (*body_path, "threshold"),
                f"{where} ignores its threshold: it fails when the columns do not match, "
                "whatever the threshold says",
                "Remove `threshold:`; a schema check cannot warn instead of failing.",
                key=True,
                severity="warning",
            )
        if kind in NEEDS_THRESHOLD and not _has_comparison(threshold):
            self.emit(
                "missing-threshold",
                body_path,
                f"{where} needs a threshold with a comparison; it has no default",
                "Add for example `threshold: {must_be_less_than: 10}`.",
                key=True,
            )
        if isinstance(threshold, dict):
            self.threshold(threshold, (*body_path, "threshold"), kind, body, where)
        if kind == "invalid":
            self.invalid_config(check, where)
        if kind == "failed_rows":
            self.one_form(
                body_path, body, ("expression", "query", "keys_query"), "failed-rows-form", where
            )
        if kind == "metric":
            self.one_form(body_path, body, ("expression", "query"), "metric-form", where)

    def invalid_config(self, check: CheckAt, where: _Where) -> None:
        if any(key in check.body for key in VALIDITY_KEYS):
            return
        if check.column_index is not None:
            column = self.doc["columns"][check.column_index]
            if any(key in column for key in VALIDITY_KEYS):
                return
        self.emit(
            "invalid-without-config",
            (*check.entry, "invalid"),
            f"{where} has nothing to test: no valid or invalid setting on it or its column",
            "Add for example `valid_values: [...]`, `valid_format: {regex: ...}` or "
            "`valid_min:` to the check or to its column.",
            key=True,
        )

    def one_form(
        self,
        body_path: PathKey,
        body: Mapping[str, Any],
        forms: tuple[str, ...],
        rule: str,
        where: _Where,
    ) -> None:
        present = [form for form in forms if _given(body.get(form))]
        if len(present) == 1:
            return
        choices = " or ".join(f"'{form}'" for form in forms)
        if present:
            message = f"{where} has {' and '.join(present)}; they exclude each other"
            path = (*body_path, present[1])
        else:
            message = f"{where} needs one of {choices}"
            path = body_path
        self.emit(rule, path, message, f"Keep exactly one of {choices}.", key=True)

    # --- thresholds -------------------------------------------------------------------------

    def threshold(
        self,
        threshold: dict[str, Any],
        path: PathKey,
        kind: str,
        body: Mapping[str, Any],
        where: _Where,
    ) -> None:
        comparisons = self.comparisons(threshold, path, where)
        metric = threshold.get("metric")
        if "metric" in threshold and kind not in HAS_METRIC:
            self.emit(
                "threshold-metric",
                (*path, "metric"),
                f"{where} has no count/percent metric to choose",
                "Remove `metric:`; only missing, invalid, duplicate and failed_rows checks "
                "take one.",
                key=True,
            )
        elif (
            metric == "percent"
            and kind == "failed_rows"
            and (_given(body.get("query")) or _given(body.get("keys_query")))
            and not _given(body.get("rows_tested_query"))
        ):
            self.emit(
                "threshold-metric",
                (*path, "metric"),
                f"{where} measures a percent of a query's rows but has no 'rows_tested_query'",
                "Add `rows_tested_query:` (the query that counts the rows tested), or use "
                "`metric: count`.",
                key=True,
            )
        if "unit" in threshold and kind != "freshness":
            self.emit(
                "threshold-unit",
                (*path, "unit"),
                f"{where} has no time unit to choose",
                "Remove `unit:`; only freshness thresholds have one.",
                key=True,
            )
        additional = threshold.get("additional")
        if isinstance(additional, dict):
            self.additional(threshold, additional, comparisons, path, where)

    def comparisons(self, threshold: dict[str, Any], path: PathKey, where: _Where) -> list[str]:
        present = [key for key in COMPARISON_KEYS if key in threshold]
        lowers = [key for key in _OUTER_LOWER if key in threshold]
        uppers = [key for key in _OUTER_UPPER if key in threshold]
        if len(present) > 1:
            if any(key in _ALONE for key in present) or len(lowers) > 1 or len(uppers) > 1:
                self.emit(
                    "threshold-comparisons",
                    (*path, present[1]),
                    f"the threshold of {where} combines {' and '.join(present)}, which "
                    "cannot be used together",
                    "Use one comparison, one lower with one upper comparison, or "
                    "must_be_between / must_be_not_between.",
                    key=True,
                )
            elif lowers and uppers:
                low, high = threshold[lowers[0]], threshold[uppers[0]]
                if is_number(low) and is_number(high) and low >= high:
                    self.emit(
                        "threshold-range",
                        (*path, uppers[0]),
                        f"the threshold of {where} asks for a value above {low} and below "
                        f"{high}: no value passes",
                        "Swap the bounds, or use must_be_not_between for a value outside a range.",
                        key=True,
                    )
        for key in ("must_be_between", "must_be_not_between"):
            bounds = threshold.get(key)
            if isinstance(bounds, dict):
                self.bounds(bounds, (*path, key), key, where)
        return present

    def bounds(self, bounds: dict[str, Any], path: PathKey, key: str, where: _Where) -> None:
        lowers = [k for k in _LOWER if k in bounds]
        uppers = [k for k in _UPPER if k in bounds]
        if len(lowers) != 1 or len(uppers) != 1:
            self.emit(
                "threshold-comparisons",
                path,
                f"{key} in the threshold of {where} needs exactly one of greater_than / "
                "greater_than_or_equal and one of less_than / less_than_or_equal",
                key=True,
            )
            return
        greater, less = bounds[lowers[0]], bounds[uppers[0]]
        if not (is_number(greater) and is_number(less)):
            return
        if key == "must_be_between" and greater >= less:
            self.emit(
                "threshold-range",
                path,
                f"must_be_between in the threshold of {where} has its lower bound "
                f"({lowers[0]} {greater}) not below its upper bound ({uppers[0]} {less})",
                "Swap the two bounds.",
                key=True,
            )
        if key == "must_be_not_between" and greater <= less:
            self.emit(
                "threshold-range",
                path,
                f"must_be_not_between in the threshold of {where} needs its greater_than "
                f"bound ({greater}) above its less_than bound ({less}): it fails values "
                f"between {less} and {greater}",
                f"To fail values between {greater} and {less}, swap the two bounds.",
                key=True,
            )

    def additional(
        self,
        outer: dict[str, Any],
        additional: dict[str, Any],
        outer_comparisons: list[str],
        path: PathKey,
        where: _Where,
    ) -> None:
        add_path = (*path, "additional")
        if len(outer_comparisons) != 1:
            found = ", ".join(outer_comparisons) or "none"
            self.emit(
                "threshold-additional",
                add_path,
                f"the threshold of {where} has an 'additional' threshold, so it must have "
                f"exactly one comparison itself (found: {found})",
                "Keep one comparison beside `additional:`.",
                key=True,
            )
        inner = self.comparisons(additional, add_path, where)
        if len(inner) != 1:
            self.emit(
                "threshold-additional",
                add_path,
                f"the additional threshold of {where} needs exactly one comparison "
                f"(found: {', '.join(inner) or 'none'})",
                key=True,
            )
        outer_level = outer.get("level", "fail")
        inner_level = additional.get("level", "fail")
        if outer_level == inner_level:
            self.emit(
                "threshold-additional",
                add_path,
                f"the threshold of {where} and its additional threshold both have level "
                f"'{outer_level}' ('fail' when not written); they must differ",
                "Set `level: warn` on one of them.",
                key=True,
            )

    # --- variables --------------------------------------------------------------------------

    def variables(self, uses_variables: bool) -> None:
        declared = contract_variables.declared(self.raw)
        used: set[str] = set()
        if uses_variables:
            for name, path in contract_variables.uses(self.raw):
                used.add(name)
                if name not in declared:
                    self.emit(
                        "undeclared-variable",
                        path,
                        f"variable '{name}' is used in {describe(self.raw, path)} but not declared",
                        f"Declare it: `variables: {{{name}: {{default: ...}}}}`.",
                    )
        used.update(
            check.body["now_variable"]
            for check in self.checks_found
            if check.check_type == "freshness" and isinstance(check.body.get("now_variable"), str)
        )
        schedule = contract_variables.schedule_values(self.raw)
        known = self.known
        for name, body in declared.items():
            path = ("variables", name)
            has_default = isinstance(body, dict) and body.get("default") is not None
            # `required: false` does not exempt one: the engine refuses every declared
            # variable without a value (soda-core 4.28, ContractYaml._resolve_variable_values).
            if not (has_default or name in schedule or name in self.supplied):
                self.emit(
                    "variable-without-value",
                    path,
                    f"variable '{name}' has no default and no value",
                    f"Give it a `default:`, a value in soda_runner.checks_schedule.variables, "
                    f"or pass --var {name}=VALUE.",
                    key=True,
                )
            if name == contract_variables.NOW and name in known:
                self.now_value(known[name], path)
            if name not in used:
                self.emit(
                    "unused-variable",
                    path,
                    f"variable '{name}' is declared but never used as ${{var.{name}}}",
                    "Remove it, or use it.",
                    key=True,
                    severity="warning",
                )

    def now_value(self, value: Any, path: PathKey) -> None:
        # The engine reads NOW as the run's time and refuses a value that is not a
        # timestamp (soda-core 4.28, ContractYaml.__init__ and convert_str_to_datetime).
        if contract_variables.is_iso_timestamp(value):
            return
        self.emit(
            "variable-timestamp",
            path,
            f"variable 'NOW' has the value '{value}', which is not an ISO 8601 timestamp",
            "Give it a timestamp such as '2024-05-01T00:00:00Z' (quoted), or rename the "
            "variable: NOW is the run's time.",
            key=True,
        )


class _Where:
    """Words for a check, worked out only when a message needs them."""

    def __init__(self, document: Any, path: PathKey) -> None:
        self.document = document
        self.path = path

    def __str__(self) -> str:
        return describe(self.document, self.path)


def _given(value: Any) -> bool:
    """Whether a query or expression is there: the engine takes blank text for none."""
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None


def _has_comparison(threshold: Any) -> bool:
    return isinstance(threshold, dict) and any(key in threshold for key in COMPARISON_KEYS)


def check_rules(
    document: Document,
    source: str,
    supplied: Mapping[str, str],
    *,
    uses_variables: bool = True,
) -> list[Diagnostic]:
    """Diagnostics of every rule above; ``uses_variables=False`` skips scanning for uses."""
    return _Rules(document, source, supplied).run(uses_variables=uses_variables)
