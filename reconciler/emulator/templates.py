"""Contracts the emulator writes itself: the create template, skeletons and generated ones.

They are derived only from the dataset's columns, so the same dataset always yields the
same text (tests and demos can rely on it). A column's type parameters (length, precision,
scale), when the catalog gave them, are written as the contract language's own keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from reconciler.emulator.state import Column

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_ ./()-]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "none", "~"}


def create_template(qualified_name: str) -> str:
    """What the API reference says a create stores: the dataset and an empty columns list."""
    return f"dataset: {_scalar(qualified_name)}\ncolumns: []\n"


def skeleton_contents(qualified_name: str, columns: Sequence[Column]) -> str:
    """The dataset, its columns with data types, and a schema check."""
    lines = [f"dataset: {_scalar(qualified_name)}", *_columns(columns, generated=False)]
    lines += ["checks:", "  - schema:"]
    return "\n".join(lines) + "\n"


def generated_contents(qualified_name: str, columns: Sequence[Column]) -> str:
    """A skeleton plus a few checks: missing (and duplicate on ``id``) for id-like columns,
    and a row count."""
    lines = [f"dataset: {_scalar(qualified_name)}", *_columns(columns, generated=True)]
    lines += ["checks:", "  - schema:", "  - row_count:"]
    return "\n".join(lines) + "\n"


def _columns(columns: Sequence[Column], *, generated: bool) -> list[str]:
    if not columns:
        return ["columns: []"]
    lines = ["columns:"]
    for column in columns:
        lines.append(f"  - name: {_scalar(column.name)}")
        lines.append(f"    data_type: {_scalar(column.data_type)}")
        for key, value in _sizes(column):
            lines.append(f"    {key}: {value}")
        if generated and _id_like(column.name):
            lines.append("    checks:")
            lines.append("      - missing:")
            if column.name.lower() == "id":
                lines.append("      - duplicate:")
    return lines


def _sizes(column: Column) -> list[tuple[str, int]]:
    sizes = (
        ("character_maximum_length", column.character_maximum_length),
        ("numeric_precision", column.numeric_precision),
        ("numeric_scale", column.numeric_scale),
        ("datetime_precision", column.datetime_precision),
    )
    return [(key, value) for key, value in sizes if value is not None]


def _id_like(name: str) -> bool:
    lowered = name.lower()
    return lowered == "id" or lowered.endswith("_id")


def _scalar(text: str) -> str:
    """The text as a YAML scalar: plain when that reads back as the same string, else quoted."""
    if _PLAIN.match(text) and text.lower() not in _RESERVED and not text.endswith(" "):
        return text
    return json.dumps(text)
