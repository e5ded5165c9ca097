"""The Soda data contract language (v4) as pydantic models: its keys and value kinds.

Strict with people: every model forbids unknown keys (``extra="forbid"``) and no value is
coerced (``strict=True``: ``"5"`` is not a number, ``yes`` is not a boolean). The rules that
relate several values (threshold bounds, check identity, variables...) live in
:mod:`reconciler.contract.rules`, which also runs on documents these models reject, so that
one run reports every mistake.

A check is a one-key mapping ``- TYPE: BODY`` (the body may be empty). Column checks and
dataset checks are separate unions, so a check placed at the wrong level is reported as such.

Sections whose inner layout the engine leaves open (``scopes``, ``attributes``,
``check_attributes``) are free mappings; ``reconciliation``, ``failed_rows`` and
``diagnostics`` belong to Soda Cloud's extensions, which the engine passes by unread, so
they may hold any value.

A key is known where the engine gives it an effect (soda-core 4.28,
``soda_core.contracts.impl.contract_yaml`` and ``check_types/*_yaml.py``): the missing and
validity settings on the checks that use them (``invalid``, ``duplicate`` on a column,
``aggregate``), the check keys common to all, each type's own keys. Values are validated as
the engine reads them, with ``${var.X}`` substituted (:func:`reconciler.contract.variables.resolved`);
a reference still unresolved is left to the variable rules.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    StrictStr,
    Tag,
)
from pydantic_core import PydanticCustomError

from reconciler.contract.thresholds import COMPARISONS
from reconciler.contract.variables import VAR_REF, Substituted

COLUMN_CHECK_TYPES = ("missing", "invalid", "duplicate", "aggregate", "metric", "failed_rows")
DATASET_CHECK_TYPES = ("duplicate", "metric", "failed_rows", "row_count", "schema", "freshness")
CHECK_TYPES = tuple(dict.fromkeys(COLUMN_CHECK_TYPES + DATASET_CHECK_TYPES))
# The functions every dialect of the engine runs (soda-core 4.28,
# ``SqlDialect.supports_function``), after lower-casing the name; the first seven are the
# documented spellings.
AGGREGATE_FUNCTIONS = ("avg", "sum", "min", "max", "min_length", "max_length", "avg_length")
AGGREGATE_FUNCTION_ALIASES = ("avglength", "maxlength", "minlength")


def _unresolved(value: Any) -> bool:
    """A whole ``${var.X}`` without a value: the variable rules report it, not the kind."""
    return (
        isinstance(value, str)
        and not isinstance(value, Substituted)
        and bool(VAR_REF.fullmatch(value))
    )


def _wrong_kind(kind: str, value: Any, *, found: bool = False) -> PydanticCustomError:
    if isinstance(value, Substituted):
        return PydanticCustomError(
            "wrong-type",
            "must be {kind}, but {reference} gives the text '{value}' (a value given with "
            "--var or by the schedule is always text; a `default:` keeps the kind it is "
            "written in)",
            {"kind": kind, "reference": value.reference, "value": str(value)},
        )
    if found:
        return PydanticCustomError(
            "wrong-type", "must be {kind}, not {found}", {"kind": kind, "found": _found(value)}
        )
    return PydanticCustomError("wrong-type", "must be {kind}", {"kind": kind})


def _found(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "a mapping"


def _number(value: Any) -> int | float | str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if _unresolved(value):
        return str(value)
    raise _wrong_kind("a number", value)


def _flag(value: Any) -> bool | str:
    if isinstance(value, bool):
        return value
    if _unresolved(value):
        return str(value)
    raise _wrong_kind("true or false", value, found=True)


def _threshold_value(value: Any) -> int | float | str:
    if isinstance(value, str) and not _unresolved(value) and not isinstance(value, Substituted):
        raise PydanticCustomError("wrong-type", "must be a number or a ${var.NAME} reference")
    return _number(value)


def _qualifier(value: Any) -> str | int | float:
    if isinstance(value, str):
        return value
    try:
        return _number(value)
    except PydanticCustomError:
        raise PydanticCustomError("wrong-type", "must be text or a number") from None


def _scalar(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise PydanticCustomError("wrong-type", "must be a single value, not a list or mapping")


def _count(value: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise PydanticCustomError("invalid-value", "must be zero or more")
        return value
    if _unresolved(value):
        return str(value)
    raise _wrong_kind("a whole number", value)


def _mapping_or_list(value: Any) -> dict[str, Any] | list[Any]:
    if isinstance(value, (dict, list)):
        return value
    raise PydanticCustomError("wrong-type", "must be a mapping or a list")


def _aggregate_function(value: Any) -> str:
    # The engine lower-cases the function name, so AVG and avg are the same function.
    if not isinstance(value, str):
        raise PydanticCustomError("wrong-type", "must be text")
    if value.lower() not in AGGREGATE_FUNCTIONS + AGGREGATE_FUNCTION_ALIASES:
        raise PydanticCustomError(
            "invalid-value",
            "'{value}' is not an aggregate function; use one of {choices}",
            {"value": value, "choices": ", ".join(AGGREGATE_FUNCTIONS)},
        )
    return value


def _empty_body(value: Any) -> Any:
    # `- missing:` has no body at all; it means "every default".
    return {} if value is None else value


Number = Annotated[float | str, PlainValidator(_number)]
ThresholdValue = Annotated[float | str, PlainValidator(_threshold_value)]
Qualifier = Annotated[str | float, PlainValidator(_qualifier)]
Scalar = Annotated[Any, PlainValidator(_scalar)]
Count = Annotated[int | str, PlainValidator(_count)]
Text = StrictStr
Flag = Annotated[bool | str, PlainValidator(_flag)]
FreeMapping = dict[StrictStr, Any]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --- thresholds --------------------------------------------------------------------------

COMPARISON_KEYS = COMPARISONS  # the contract language's threshold keys, named once


class Bounds(_Strict):
    """``must_be_between`` / ``must_be_not_between``: one lower and one upper bound."""

    greater_than: ThresholdValue | None = None
    greater_than_or_equal: ThresholdValue | None = None
    less_than: ThresholdValue | None = None
    less_than_or_equal: ThresholdValue | None = None


class _Comparisons(_Strict):
    must_be: ThresholdValue | None = None
    must_not_be: ThresholdValue | None = None
    must_be_greater_than: ThresholdValue | None = None
    must_be_greater_than_or_equal: ThresholdValue | None = None
    must_be_less_than: ThresholdValue | None = None
    must_be_less_than_or_equal: ThresholdValue | None = None
    must_be_between: Bounds | None = None
    must_be_not_between: Bounds | None = None
    level: Literal["warn", "fail"] | None = None


class AdditionalThreshold(_Comparisons):
    """A second comparison at the other level (``warn`` beside ``fail``)."""


class Threshold(_Comparisons):
    metric: Literal["count", "percent"] | None = None
    unit: Literal["minute", "hour", "day"] | None = None
    additional: AdditionalThreshold | None = None


# --- validity settings (columns inherit them into their checks) ---------------------------


class RegexFormat(_Strict):
    regex: Text
    name: Text | None = None


def _qualified_name(value: Any) -> str | list[str]:
    # The engine takes the name as one text or as its parts.
    if isinstance(value, str) or (
        isinstance(value, list) and value and all(isinstance(part, str) for part in value)
    ):
        return value
    raise PydanticCustomError("wrong-type", "must be a dataset name, or a list of its parts")


class ReferenceData(_Strict):
    dataset: Annotated[str | list[str], PlainValidator(_qualified_name)]
    column: Text


class MissingSettings(_Strict):
    missing_values: list[Scalar] | None = None
    missing_format: RegexFormat | None = None


class ValiditySettings(_Strict):
    valid_values: list[Scalar] | None = None
    valid_format: RegexFormat | None = None
    invalid_values: list[Scalar] | None = None
    invalid_format: RegexFormat | None = None
    valid_min: Number | None = None
    valid_max: Number | None = None
    valid_length: Count | None = None
    valid_min_length: Count | None = None
    valid_max_length: Count | None = None
    valid_reference_data: ReferenceData | None = None


VALIDITY_KEYS = tuple(ValiditySettings.model_fields)


# --- checks -------------------------------------------------------------------------------


class CheckBase(_Strict):
    """Keys every check accepts."""

    name: Text | None = None
    qualifier: Qualifier | None = None
    filter: Text | None = None
    attributes: FreeMapping | None = None
    threshold: Threshold | None = None
    column_expression: Text | None = None
    store_failed_rows: Flag | None = None
    scope: Text | None = None


class MissingCheck(CheckBase, MissingSettings):
    pass


class InvalidCheck(CheckBase, MissingSettings, ValiditySettings):
    """Missing values are not counted as invalid, so the missing settings have an effect."""


class ColumnDuplicateCheck(CheckBase, MissingSettings, ValiditySettings):
    """Missing and invalid values are left out of the duplicates."""


class DatasetDuplicateCheck(CheckBase):
    columns: list[Text] = Field(min_length=1)


class AggregateCheck(CheckBase, MissingSettings, ValiditySettings):
    """Missing and invalid values are left out of the aggregate."""

    function: Annotated[str, PlainValidator(_aggregate_function)]


class MetricCheck(CheckBase):
    expression: Text | None = None
    query: Text | None = None


class FailedRowsCheck(CheckBase):
    expression: Text | None = None
    query: Text | None = None
    keys_query: Text | None = None
    rows_tested_query: Text | None = None
    key_column_mapping: dict[StrictStr, Text] | None = None


class RowCountCheck(CheckBase):
    pass


class SchemaCheck(CheckBase):
    allow_extra_columns: Flag | None = None
    allow_other_column_order: Flag | None = None


class FreshnessCheck(CheckBase):
    column: Text
    now_variable: Text | None = None


def _body(model: type[CheckBase]) -> Any:
    return Annotated[model, BeforeValidator(_empty_body)]


class MissingEntry(_Strict):
    missing: _body(MissingCheck)  # type: ignore[valid-type]


class InvalidEntry(_Strict):
    invalid: _body(InvalidCheck)  # type: ignore[valid-type]


class ColumnDuplicateEntry(_Strict):
    duplicate: _body(ColumnDuplicateCheck)  # type: ignore[valid-type]


class DatasetDuplicateEntry(_Strict):
    duplicate: _body(DatasetDuplicateCheck)  # type: ignore[valid-type]


class AggregateEntry(_Strict):
    aggregate: _body(AggregateCheck)  # type: ignore[valid-type]


class MetricEntry(_Strict):
    metric: _body(MetricCheck)  # type: ignore[valid-type]


class FailedRowsEntry(_Strict):
    failed_rows: _body(FailedRowsCheck)  # type: ignore[valid-type]


class RowCountEntry(_Strict):
    row_count: _body(RowCountCheck)  # type: ignore[valid-type]


class SchemaEntry(_Strict):
    schema_: _body(SchemaCheck) = Field(alias="schema")  # type: ignore[valid-type]


class FreshnessEntry(_Strict):
    freshness: _body(FreshnessCheck)  # type: ignore[valid-type]


def check_type_of(value: Any) -> str | None:
    """The check type a list item names: its known key, else its first key."""
    if not isinstance(value, dict) or not value:
        return None
    for key in value:
        if key in CHECK_TYPES:
            return str(key)
    return str(next(iter(value)))


ColumnCheckEntry = Annotated[
    Annotated[MissingEntry, Tag("missing")]
    | Annotated[InvalidEntry, Tag("invalid")]
    | Annotated[ColumnDuplicateEntry, Tag("duplicate")]
    | Annotated[AggregateEntry, Tag("aggregate")]
    | Annotated[MetricEntry, Tag("metric")]
    | Annotated[FailedRowsEntry, Tag("failed_rows")],
    Discriminator(check_type_of),
]

DatasetCheckEntry = Annotated[
    Annotated[DatasetDuplicateEntry, Tag("duplicate")]
    | Annotated[MetricEntry, Tag("metric")]
    | Annotated[FailedRowsEntry, Tag("failed_rows")]
    | Annotated[RowCountEntry, Tag("row_count")]
    | Annotated[SchemaEntry, Tag("schema")]
    | Annotated[FreshnessEntry, Tag("freshness")],
    Discriminator(check_type_of),
]


# --- columns, variables, schedule, contract ----------------------------------------------


class Column(MissingSettings, ValiditySettings):
    name: Text
    data_type: Text | None = None
    character_maximum_length: Count | None = None
    numeric_precision: Count | None = None
    numeric_scale: Count | None = None
    datetime_precision: Count | None = None
    optional: Flag | None = None
    description: Text | None = None
    column_expression: Text | None = None
    checks: list[ColumnCheckEntry] | None = None


class Variable(_Strict):
    default: Scalar = None
    type: Text | None = None
    required: Flag | None = None
    description: Text | None = None


class ChecksSchedule(_Strict):
    cron: Text | None = None
    timezone: Text | None = None
    variables: dict[StrictStr, Scalar] | None = None


class Runner(_Strict):
    checks_schedule: ChecksSchedule | None = None


class Contract(_Strict):
    dataset: Text
    columns: list[Column]
    description: Text | None = None
    filter: Text | None = None
    variables: dict[StrictStr, Variable | None] | None = None
    checks: list[DatasetCheckEntry] | None = None
    check_attributes: FreeMapping | None = None
    soda_runner: Runner | None = None
    soda_agent: Runner | None = None
    scopes: Annotated[Any, PlainValidator(_mapping_or_list)] = None
    reconciliation: Any = None
    failed_rows: Any = None
    diagnostics: Any = None
    # The engine reads it to choose the file's kind; contracts are its only kind.
    kind: Literal["contract"] | None = None


def known_keys(path_kind: str) -> tuple[str, ...]:
    """Keys allowed in a kind of mapping (for "did you mean" hints)."""
    return KNOWN_KEYS.get(path_kind, ())


def _fields(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(field.alias or name for name, field in model.model_fields.items())


KNOWN_KEYS: dict[str, tuple[str, ...]] = {
    "contract": _fields(Contract),
    "column": _fields(Column),
    "threshold": _fields(Threshold),
    "additional": _fields(AdditionalThreshold),
    "bounds": _fields(Bounds),
    "variable": _fields(Variable),
    "runner": _fields(Runner),
    "checks_schedule": _fields(ChecksSchedule),
    "format": _fields(RegexFormat),
    "reference": _fields(ReferenceData),
    "missing": _fields(MissingCheck),
    "invalid": _fields(InvalidCheck),
    "duplicate": tuple(dict.fromkeys((*_fields(ColumnDuplicateCheck), "columns"))),
    "aggregate": _fields(AggregateCheck),
    "metric": _fields(MetricCheck),
    "failed_rows": _fields(FailedRowsCheck),
    "row_count": _fields(RowCountCheck),
    "schema": _fields(SchemaCheck),
    "freshness": _fields(FreshnessCheck),
}
