"""Contract variables: ``${var.NAME}`` uses, declarations and the values they get.

A value comes, in this order, from the caller (``--var NAME=VALUE``, as a verification run
passes them), from the contract's schedule (``soda_runner.checks_schedule.variables``, or
the deprecated ``soda_agent``), or from the declaration's ``default``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.contract.document import PathKey

VAR_REF = re.compile(r"\$\{var\.([A-Za-z_][A-Za-z0-9_]*)\}")
MARKER = "${var."


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


def values(document: Any, supplied: Mapping[str, str]) -> dict[str, str]:
    """The value each declared variable gets, as text; variables with none are absent."""
    schedule = schedule_values(document)
    result: dict[str, str] = {}
    for name, body in declared(document).items():
        if name in supplied:
            result[name] = supplied[name]
        elif name in schedule and schedule[name] is not None:
            result[name] = _text(schedule[name])
        elif isinstance(body, dict) and body.get("default") is not None:
            result[name] = _text(body["default"])
    return result


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def substitute(text: str, known: Mapping[str, str]) -> str:
    """``text`` with each ``${var.NAME}`` that has a value replaced by it."""
    if MARKER not in text:
        return text
    return VAR_REF.sub(lambda m: known.get(m.group(1), m.group(0)), text)
