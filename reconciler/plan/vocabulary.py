"""The words a plan is made of: what apply does to a dataset (:class:`Action`), how a change
can affect verification results (:class:`ChangeClass`), and the changes themselves
(:class:`Change`: a subject, what happened to it, and the values).

Values and codes only, no sentences: the semantic diff speaks in these words, the plan and the
audit carry them, the renderers word them (:mod:`reconciler.render.words`).
"""

from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel, ConfigDict


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


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Part(str, enum.Enum):
    """What part of a contract a change is about."""

    CONTRACT = "contract"  # the document as a whole
    DATASET = "dataset"  # a top-level setting (description, check_attributes...)
    COLUMN = "column"
    COLUMNS = "columns"  # their order
    CHECK = "check"  # a check of a column (``column`` set) or of the dataset
    VARIABLE = "variable"
    SCHEDULE = "schedule"


class Subject(Frozen):
    part: Part
    column: str | None = None  # the column, or the column a check belongs to
    check: str | None = None  # the check's type (missing, schema, freshness...)
    qualifier: str | None = None  # the check's qualifier, when it has one
    variable: str | None = None


class ChangeKind(str, enum.Enum):
    """What happened to a subject."""

    NEW_CONTRACT = "new-contract"  # counts: (columns, checks)
    ADDED = "added"
    REMOVED = "removed"
    RENAMED = "renamed"  # new: the new name
    DECLARED = "declared"  # a variable
    SETTING = "setting"  # key: old -> new (None: not set)
    THRESHOLD = "threshold"  # key: the comparisons old -> new, in units when they moved
    ENTRIES = "entries"  # key: a free mapping, names: its entries that changed
    ORDER = "order"  # old -> new: the columns in order
    ODD_ENTRIES = "odd-entries"  # entries that are not well-formed columns or checks
    CONTRACT_CHANGED = "contract-changed"  # not a mapping: compared as a whole
    # What the planner says about the whole contract:
    FORMAT_ONLY = "format-only"  # comments, whitespace or key order
    UNREADABLE_REMOTE = "unreadable-remote"  # Soda Cloud's version is no readable contract
    ORDER_ONLY = "order-only"  # columns or checks reordered, nothing else
    STUB_SKELETON = "stub-skeleton"  # a stub: Soda Cloud generates a skeleton for it
    STUB_WRITE_BACK = "stub-write-back"  # a stub: Soda Cloud's contract is written into it


class Change(Frozen):
    """One change publishing git's contract makes, classed: data the renderers word."""

    subject: Subject
    kind: ChangeKind
    change_class: ChangeClass
    key: str | None = None  # the setting (``threshold``, ``data_type``, ``threshold unit``...)
    # Values as the contract documents hold them (JSON); None where not set.
    old: Any = None
    new: Any = None
    units: tuple[str, str] | None = None  # THRESHOLD across units (freshness): old, new
    names: tuple[str, ...] = ()  # ENTRIES: the entries that changed
    counts: tuple[int, int] | None = None  # NEW_CONTRACT: columns, checks
