"""A contract value on one line, as people read it: ``[a, b]``, ``{k: v}``, ``true``, ``5``.

The semantic diff names a check's qualifier this way, and the renderers show changed values
this way, so the two always agree.
"""

from __future__ import annotations

import json
from typing import Any


def show(value: Any) -> str:
    """A short rendering of a value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(show(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    return str(value)


def as_data(value: Any) -> Any:
    """``value`` as the plain JSON data a saved plan reads back equal: mappings keep their
    order, dates become their text, and a number JSON cannot hold (NaN, infinity) its
    :func:`show` text."""
    try:
        return json.loads(json.dumps(value, ensure_ascii=False, default=str, allow_nan=False))
    except ValueError:
        return show(value)
