"""Durations as people type them on a command line or in reconciler.yml: ``30s``, ``5m``,
``1h30m``, ``500ms``, ``0``, or a bare number of seconds.

The syntax of Terraform's ``-lock-timeout`` (Go's ``time.ParseDuration``, without the units
below a millisecond), so a flag copied from a Terraform pipeline means the same here; a bare
number is read as seconds, as YAML gives it.
"""

from __future__ import annotations

import math
import re

UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h)")
_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")


def parse_duration(text: str) -> float:
    """Seconds in ``text``; raises :class:`ValueError` saying what a duration looks like."""
    value = text.strip()
    if _NUMBER.fullmatch(value):
        seconds = float(value)
        if math.isfinite(seconds):
            return seconds
    seconds = 0.0
    position = 0
    while position < len(value):
        part = _PART.match(value, position)
        if part is None:
            break
        seconds += float(part.group(1)) * UNITS[part.group(2)]
        position = part.end()
    if not value or position != len(value) or not math.isfinite(seconds):
        raise ValueError(
            f"{text!r} is not a duration: use a number and a unit (ms, s, m, h), "
            "e.g. 30s, 5m or 1m30s, or a number of seconds"
        )
    return seconds


def format_duration(seconds: float) -> str:
    """``90`` -> ``1m30s``; ``0.5`` -> ``500ms``: the shortest way to write it back."""
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{secs}s"]
    text = "".join(parts)
    return text.removesuffix("0s") if (hours or minutes) and secs == 0 else text
