"""Thresholds as the sets of values that pass: unions of intervals.

A check's threshold (``must_be_less_than: 25``, ``must_be_between: {...}``, several at once)
stands for the measured values that pass it. Comparing two thresholds is comparing those
sets: ``must_not_be`` and ``must_be_not_between`` are complements, a freshness bound is read
in minutes (``scale``), and a bound that is not a number (a ``${var.X}``) makes the set
unknown. The semantic diff (:mod:`reconciler.contract.diff`) classes a threshold change by
how its new set stands to the old one (:func:`compare_passing`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from typing import Any

from reconciler.contract.fingerprint import same_value

# (low, low_closed, high, high_closed)
Interval = tuple[float, bool, float, bool]
INF = math.inf
ALL: list[Interval] = [(-INF, False, INF, False)]

# Checks that count failing rows: with no comparison they must count none.
COUNTING = frozenset({"missing", "invalid", "duplicate", "failed_rows"})
UNIT_MINUTES = {"minute": 1.0, "hour": 60.0, "day": 1440.0}
COMPARISONS = (
    "must_be",
    "must_not_be",
    "must_be_greater_than",
    "must_be_greater_than_or_equal",
    "must_be_less_than",
    "must_be_less_than_or_equal",
    "must_be_between",
    "must_be_not_between",
)


class Passing(enum.Enum):
    """How a threshold's new passing values stand to its old ones."""

    SAME = "same"
    NARROWER = "narrower"  # every value passing now passed before
    WIDER = "wider"  # every value passing before passes now
    OTHER = "other"  # neither, or not comparable (a bound that is not a number)


def default_comparison(check_type: str) -> dict[str, Any]:
    """What a check of ``check_type`` compares with when its threshold names nothing."""
    if check_type in COUNTING:
        return {"must_be": 0}
    if check_type == "row_count":
        return {"must_be_greater_than": 0}
    return {}


def comparisons(threshold: Mapping[str, Any], check_type: str) -> dict[str, Any]:
    """The comparisons of a threshold (``must_be...`` keys), defaults filled in."""
    found = {k: threshold[k] for k in COMPARISONS if k in threshold}
    return found or default_comparison(check_type)


def compare_passing(
    old: Mapping[str, Any], new: Mapping[str, Any], old_scale: float, new_scale: float
) -> Passing:
    """How ``new``'s passing values (in ``new_scale`` units) stand to ``old``'s."""
    old_set, new_set = pass_set(old, old_scale), pass_set(new, new_scale)
    if old_set is None or new_set is None:
        same = same_value(old, new) and old_scale == new_scale
        return Passing.SAME if same else Passing.OTHER
    narrower, wider = subset(new_set, old_set), subset(old_set, new_set)
    if narrower and wider:
        return Passing.SAME
    if narrower:
        return Passing.NARROWER
    return Passing.WIDER if wider else Passing.OTHER


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        return None if math.isnan(number) else number
    return None


def _empty(interval: Interval) -> bool:
    low, low_closed, high, high_closed = interval
    return low > high or (low == high and not (low_closed and high_closed))


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for a_low, a_lc, a_high, a_hc in a:
        for b_low, b_lc, b_high, b_hc in b:
            if a_low > b_low or (a_low == b_low and not a_lc):
                low, low_closed = a_low, a_lc
            else:
                low, low_closed = b_low, b_lc
            if a_high < b_high or (a_high == b_high and not a_hc):
                high, high_closed = a_high, a_hc
            else:
                high, high_closed = b_high, b_hc
            candidate = (low, low_closed, high, high_closed)
            if not _empty(candidate):
                out.append(candidate)
    return out


def _contains(outer: Interval, inner: Interval) -> bool:
    o_low, o_lc, o_high, o_hc = outer
    i_low, i_lc, i_high, i_hc = inner
    low_ok = o_low < i_low or (o_low == i_low and (o_lc or not i_lc))
    high_ok = o_high > i_high or (o_high == i_high and (o_hc or not i_hc))
    return low_ok and high_ok


def subset(a: list[Interval], b: list[Interval]) -> bool:
    # The sets built here are unions of intervals separated by gaps, so a connected piece of
    # ``a`` lies in ``b`` exactly when it lies in one of ``b``'s intervals.
    return all(any(_contains(outer, inner) for outer in b) for inner in a)


def _bounds(bounds: Any, scale: float) -> tuple[Interval, Interval] | None:
    """A between's lower and upper half-lines, or None when not numeric."""
    bounds = bounds if isinstance(bounds, dict) else {}
    lower_keys = [k for k in ("greater_than", "greater_than_or_equal") if k in bounds]
    upper_keys = [k for k in ("less_than", "less_than_or_equal") if k in bounds]
    if len(lower_keys) != 1 or len(upper_keys) != 1:
        return None
    low, high = _number(bounds[lower_keys[0]]), _number(bounds[upper_keys[0]])
    if low is None or high is None:
        return None
    low_closed = lower_keys[0].endswith("_or_equal")
    high_closed = upper_keys[0].endswith("_or_equal")
    return (low * scale, low_closed, INF, False), (-INF, False, high * scale, high_closed)


def pass_set(comparisons: Mapping[str, Any], scale: float = 1.0) -> list[Interval] | None:
    """The values that pass, or None when a bound is not a number (a variable...)."""
    result = ALL
    for key, raw in comparisons.items():
        if key in ("must_be_between", "must_be_not_between"):
            halves = _bounds(raw, scale)
            if halves is None:
                return None
            lower, upper = halves
            if key == "must_be_between":
                result = intersect(result, intersect([lower], [upper]))
            else:
                # passes below the less_than bound or above the greater_than bound
                result = intersect(result, [upper, lower])
            continue
        value = _number(raw)
        if value is None:
            return None
        value *= scale
        piece: list[Interval]
        if key == "must_be":
            piece = [(value, True, value, True)]
        elif key == "must_not_be":
            piece = [(-INF, False, value, False), (value, False, INF, False)]
        elif key == "must_be_greater_than":
            piece = [(value, False, INF, False)]
        elif key == "must_be_greater_than_or_equal":
            piece = [(value, True, INF, False)]
        elif key == "must_be_less_than":
            piece = [(-INF, False, value, False)]
        else:
            piece = [(-INF, False, value, True)]
        result = intersect(result, piece)
    return result
