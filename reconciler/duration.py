"""Durations as people write them on a command line or in reconciler.yml: ``90s``, ``3m``,
``1h30m``, ``500ms``, or a bare number of seconds (Terraform's and Go's notation)."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in ``text``; ValueError with the accepted forms when it is not a duration."""
    value = text.strip()
    try:
        seconds = float(value)
    except ValueError:
        seconds = _parts(value)
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"{text!r} is not a duration")
    return seconds


def _parts(value: str) -> float:
    position = 0
    total = 0.0
    for match in _PART.finditer(value):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT[match.group(2)]
        position = match.end()
    if position == 0 or position != len(value):
        raise ValueError(
            f"{value!r} is not a duration: write e.g. 90s, 3m, 1h30m or a number of seconds"
        )
    return total
