"""The words a plan is made of: what apply does to a dataset (:class:`Action`) and how a
change can affect verification results (:class:`ChangeClass`).

Plain enumerations with no dependencies: the semantic diff classes changes in these words,
the plan and the audit carry them, the renderers print them.
"""

from __future__ import annotations

import enum


class Action(str, enum.Enum):
    CREATE = "create"
    GENERATE_SKELETON = "generate-skeleton"
    PUBLISH = "publish"
    ADOPT = "adopt"
    NOOP = "no-op"


class ChangeClass(str, enum.Enum):
    """How a change can affect verification results; most severe first."""

    BREAKING = "breaking"
    TIGHTENED = "tightened"
    RELAXED = "relaxed"
    COSMETIC = "cosmetic"
    FORMAT_ONLY = "format-only"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {
    ChangeClass.BREAKING: 4,
    ChangeClass.TIGHTENED: 3,
    ChangeClass.RELAXED: 2,
    ChangeClass.COSMETIC: 1,
    ChangeClass.FORMAT_ONLY: 0,
}
