"""Compare once: one dataset's file in git, its contract in Soda Cloud and its record in the
state, side by side.

A pure function of the three (and of the versions Soda Cloud made since the record). The
planner maps a :class:`Comparison` to what apply will do (an action), the audit to how git
and Soda Cloud differ (a category): both read the same value, so they never disagree about
what differs or which side moved.

Where the two sides stand (:class:`Side`):

| git file | Soda Cloud        | side               |
|----------|-------------------|--------------------|
| none     | any               | not-in-git         |
| any      | none              | not-in-cloud       |
| stub     | a contract        | stub-with-contract |
| contract | the same text     | same-text          |
| contract | another text      | different          |

How Soda Cloud's contract stands to the record of the last apply (:class:`Since`): no
record; the recorded contract, unmoved (its ``lastUpdated`` is the recorded one); moved (it
changed in Soda Cloud since); replaced (another contract id); gone (no contract now).
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.cloud.dto import Contract, ContractVersion
from reconciler.contract.diff import diff_contracts
from reconciler.contract.fingerprint import same_value
from reconciler.contract.parse import read_document
from reconciler.desired import DesiredContract, DesiredState
from reconciler.observed import ObservedState
from reconciler.plan.model import ReadingWarning, WarningCode
from reconciler.plan.vocabulary import Change, ChangeClass, ChangeKind, Part, Subject
from reconciler.state import DatasetRecord


class Side(str, enum.Enum):
    NOT_IN_GIT = "not-in-git"
    NOT_IN_CLOUD = "not-in-cloud"
    STUB_WITH_CONTRACT = "stub-with-contract"
    SAME_TEXT = "same-text"
    DIFFERENT = "different"


class Since(str, enum.Enum):
    NO_RECORD = "no-record"
    UNMOVED = "unmoved"
    MOVED = "moved"
    REPLACED = "replaced"
    GONE = "gone"


@dataclass(frozen=True)
class Comparison:
    """One dataset compared. ``change_class``, ``changes`` and ``diff`` say what applying
    git's file over Soda Cloud's contract would be: set when the file is a contract (no stub)
    that Soda Cloud lacks or holds another text of, else empty."""

    dataset: str
    file: DesiredContract | None
    remote: Contract | None
    record: DatasetRecord | None
    side: Side
    since: Since
    # The versions made in Soda Cloud since the record, newest first (only when it moved).
    newer: tuple[ContractVersion, ...] = ()
    change_class: ChangeClass | None = None
    changes: tuple[Change, ...] = ()
    diff: str | None = None


def compare(
    dataset: str,
    file: DesiredContract | None,
    remote: Contract | None,
    record: DatasetRecord | None,
    newer: Sequence[ContractVersion] = (),
) -> Comparison:
    side = _side(file, remote)
    since = _since(remote, record)
    comparison = Comparison(dataset, file, remote, record, side, since, tuple(newer))
    if file is None or file.is_stub:
        return comparison
    if remote is None:
        created = diff_contracts(None, file.document)
        return dataclasses.replace(
            comparison,
            change_class=created.change_class or ChangeClass.COSMETIC,
            changes=created.changes,
            diff=unified_diff("", file.raw_text, dataset, file.display_path),
        )
    if side is Side.DIFFERENT:
        change_class, changes = publish_changes(remote.contents or "", file)
        diff = unified_diff(remote.contents or "", file.raw_text, dataset, file.display_path)
        return dataclasses.replace(
            comparison, change_class=change_class, changes=changes, diff=diff
        )
    return comparison


def _side(file: DesiredContract | None, remote: Contract | None) -> Side:
    if file is None:
        return Side.NOT_IN_GIT
    if remote is None:
        return Side.NOT_IN_CLOUD
    if file.is_stub:
        return Side.STUB_WITH_CONTRACT
    return Side.SAME_TEXT if remote.contents == file.raw_text else Side.DIFFERENT


def _since(remote: Contract | None, record: DatasetRecord | None) -> Since:
    if record is None:
        return Since.NO_RECORD
    if remote is None:
        return Since.GONE
    if record.contract_id != remote.id:
        return Since.REPLACED
    return Since.MOVED if record.moved_in_cloud(remote.id, remote.last_updated) else Since.UNMOVED


def publish_changes(
    remote_contents: str, file: DesiredContract
) -> tuple[ChangeClass, tuple[Change, ...]]:
    """What publishing the file over Soda Cloud's (different) text changes, classed.

    Soda Cloud's text is read once and never validated: the diff needs its document, no
    more. The same semantic fingerprint is the same value, compared as such (not hashed)."""
    remote = read_document(remote_contents, f"Soda Cloud: {file.dataset}")
    if remote is not None and same_value(remote, file.document):
        return ChangeClass.FORMAT_ONLY, (whole(ChangeKind.FORMAT_ONLY, ChangeClass.FORMAT_ONLY),)
    old = remote if isinstance(remote, dict) else None
    diff = diff_contracts(old, file.document)
    changes = diff.changes
    change_class = diff.change_class or ChangeClass.FORMAT_ONLY
    if old is None:
        changes = (whole(ChangeKind.UNREADABLE_REMOTE, change_class), *changes)
    elif not changes:
        changes = (whole(ChangeKind.ORDER_ONLY, change_class),)
    return change_class, changes


def whole(kind: ChangeKind, change_class: ChangeClass) -> Change:
    """A change of the contract as a whole."""
    return Change(subject=Subject(part=Part.CONTRACT), kind=kind, change_class=change_class)


def unified_diff(before: str, after: str, dataset: str, path: str) -> str:
    """The unified YAML diff, Soda Cloud -> git."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"soda-cloud/{dataset}",
        tofile=path,
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def reading_warnings(desired: DesiredState, observed: ObservedState) -> tuple[ReadingWarning, ...]:
    """What reading the folder and Soda Cloud noticed without stopping: path mismatches,
    unused variables, contracts listed without a dataset name."""
    return tuple(
        ReadingWarning(
            code=WarningCode.FILE,
            file=d.file,
            line=d.line,
            col=d.col,
            rule=d.rule,
            message=d.message,
        )
        for d in desired.diagnostics
        if not d.is_error
    ) + tuple(
        ReadingWarning(code=WarningCode.NAMELESS_CONTRACT, contract_id=contract_id)
        for contract_id in observed.nameless
    )
