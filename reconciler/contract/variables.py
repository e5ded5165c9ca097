"""Contract variables: ``${var.NAME}`` uses, declarations and the values they get.

A value comes, in this order, from the caller (``--var NAME=VALUE``, as a verification run
passes them), from the contract's schedule (``soda_runner.checks_schedule.variables``, or
the deprecated ``soda_agent``), or from the declaration's ``default``.

Values are substituted as Soda's engine substitutes them (soda-core 4.28,
``soda_core.common.yaml.VariableResolver`` and ``YamlValue.yaml_wrap``): a text that is a
whole ``${var.NAME}`` becomes the variable's value itself, so a ``default: 10`` stays the
number 10; a reference inside a longer text makes text. Values given from outside the
declaration (``--var``, the schedule) reach the engine as text. The engine substitutes
every value outside ``variables:`` (below the top level before it checks a value's kind;
at the top level after reading it as text, then fails on a number there);
:func:`resolved` does the same, so a ``valid_min: ${var.LOW}`` with ``default: 3`` is the
number 3, and with a text value it is text (which the engine refuses where a number
belongs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from reconciler.contract.document import PathKey

# The engine's reference pattern, for the var namespace (it allows spaces inside the braces).
VAR_REF = re.compile(r"\$\{ *var\.([A-Za-z_][A-Za-z0-9_]*) *\}")
# Every text holding a reference holds this (a cheap test before the pattern).
MARKER = "${"
# The variable the engine reads as the run's time; its value must be an ISO 8601 timestamp.
NOW = "NOW"

Value = str | int | float | bool


class Substituted(str):
    """Text that a substitution made, with the reference it came from (for messages)."""

    reference: str

    def __new__(cls, text: str, reference: str) -> Substituted:
        made = super().__new__(cls, text)
        made.reference = reference
        return made


def uses(document: Any) -> Iterator[tuple[str, PathKey]]:
    """Every ``${var.NAME}`` in a text value, with the value's path."""
    stack: list[tuple[Any, PathKey]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if MARKER in value:
                for match in VAR_REF.finditer(value):
                    yield match.group(1), path
        elif isinstance(value, dict):
            stack.extend((child, (*path, key)) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((child, (*path, index)) for index, child in enumerate(value))


def declared(document: Any) -> dict[str, Any]:
    """Declared variables and their bodies (``None`` for a bare ``NAME:``)."""
    section = document.get("variables") if isinstance(document, dict) else None
    return {str(k): v for k, v in section.items()} if isinstance(section, dict) else {}


def schedule_values(document: Any) -> dict[str, Any]:
    """Values the contract's own schedule passes to its variables."""
    found: dict[str, Any] = {}
    if not isinstance(document, dict):
        return found
    for runner_key in ("soda_agent", "soda_runner"):  # the current key wins
        runner = document.get(runner_key)
        schedule = runner.get("checks_schedule") if isinstance(runner, dict) else None
        values = schedule.get("variables") if isinstance(schedule, dict) else None
        if isinstance(values, dict):
            found.update({str(k): v for k, v in values.items()})
    return found


def typed_values(document: Any, supplied: Mapping[str, str]) -> dict[str, Value]:
    """The value each declared variable gets, as the engine holds it: a default keeps its
    YAML kind, a value given from outside is text; variables with none are absent. As in
    the engine, each value may use the variables declared before it."""
    schedule = schedule_values(document)
    result: dict[str, Value] = {}
    for name, body in declared(document).items():
        value: Any
        if name in supplied:
            value = supplied[name]
        elif name in schedule and schedule[name] is not None:
            value = _text(schedule[name])
        elif isinstance(body, dict) and _is_value(body.get("default")):
            value = body["default"]
        else:
            continue
        result[name] = substitute_value(value, result) if isinstance(value, str) else value
    return result


def values(document: Any, supplied: Mapping[str, str]) -> dict[str, str]:
    """The value each declared variable gets, as text; variables with none are absent."""
    return {name: _text(value) for name, value in typed_values(document, supplied).items()}


def _is_value(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def substitute(text: str, known: Mapping[str, Value]) -> str:
    """``text`` with each ``${var.NAME}`` that has a value replaced by it, as text."""
    if MARKER not in text:
        return text
    return VAR_REF.sub(
        lambda m: _text(known[m.group(1)]) if m.group(1) in known else m.group(0), text
    )


def substitute_value(text: str, known: Mapping[str, Value]) -> Value:
    """As :func:`substitute`, except that a whole ``${var.NAME}`` is the value itself."""
    if MARKER not in text:
        return text
    whole = VAR_REF.fullmatch(text)
    if whole is not None:
        if whole.group(1) not in known:
            return text
        value = known[whole.group(1)]
        return Substituted(value, text) if isinstance(value, str) else value
    made = substitute(text, known)
    return text if made == text else Substituted(made, text)


def resolved(document: Any, known: Mapping[str, Value]) -> Any:
    """The document as the engine reads its values: references substituted everywhere
    outside ``variables:``. The document itself is left unchanged."""
    if not known or not isinstance(document, dict):
        return document
    return {
        key: value if key == "variables" else _resolved_child(value, known)
        for key, value in document.items()
    }


def _resolved_below(value: Any, known: Mapping[str, Value]) -> Any:
    if isinstance(value, dict):
        return {key: _resolved_child(child, known) for key, child in value.items()}
    if isinstance(value, list):
        return [_resolved_child(child, known) for child in value]
    return value


def _resolved_child(value: Any, known: Mapping[str, Value]) -> Any:
    if isinstance(value, str):
        return substitute_value(value, known)
    return _resolved_below(value, known)


def is_iso_timestamp(value: Any) -> bool:
    """Whether the engine reads ``value`` as a timestamp (soda-core 4.28,
    ``soda_core.common.datetime_conversions.convert_str_to_datetime``): text in ISO 8601,
    a trailing ``Z`` meaning UTC (its fraction of a second is dropped first)."""
    if not isinstance(value, str):
        return False
    text = value
    if text.endswith("Z"):
        text = re.sub(r"\.(\d+)$", "", text[:-1]) + "+00:00"
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True
