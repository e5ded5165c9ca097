"""The journal beside a local state file: one line per change an apply makes, appended.

Saving a whole state after every change costs time in proportion to its size (a 20,000-dataset
state is 14 MB to encode and write); a line costs the same whatever the size. So an apply
appends each change to ``<state>.journal`` and folds the lines into the state file once, at
its end (*compaction*: one ordinary save, serial + 1, with its backup). Every line says which
state it continues (the lineage and the serial of the state file) and what changed, as data,
so a journal left by a killed run is replayed by whoever loads the state next, and refused
when it continues another state. The format is documented in ``docs/state-format.md``.

    Change        one change: records set, pending verifications set or cleared, verifications
    JournalLine   a line: the change, the lineage and serial it extends, the format version
    apply_change  a change applied to a state's records and pending verifications, in place
    replay        a state with a journal's lines applied
    read_journal  the lines of a journal file (a torn last line left out)
    JournalFile   the appending end: lines written together, then fsynced
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconciler.errors import StateCorrupt, StateError
from reconciler.state.model import DatasetRecord, PendingVerification, StateFile, Verification

JOURNAL_FORMAT = 1
"""The version of the journal's lines this reconciler writes and reads."""

JOURNAL_SUFFIX = ".journal"


class Change(BaseModel):
    """One change to the state, applied in this order: ``records`` set (added or replaced),
    ``pending`` verifications set (``None``: cleared), and ``verified``: a dataset's record
    given its last verification. Each is a setting, not a difference, so applying a change
    twice is applying it once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pending: Mapping[str, PendingVerification | None] = Field(default_factory=dict)
    records: Mapping[str, DatasetRecord] = Field(default_factory=dict)
    verified: Mapping[str, Verification] = Field(default_factory=dict)


class JournalLine(BaseModel):
    """A line of the journal: a change to the state file of ``lineage`` at ``extends`` (its
    serial), made after the changes on the lines before it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    change: Change
    extends: int = Field(ge=0)
    format_version: int = JOURNAL_FORMAT
    lineage: str


def journal_path_for(state_path: Path) -> Path:
    return state_path.with_name(state_path.name + JOURNAL_SUFFIX)


def apply_change(
    datasets: MutableMapping[str, DatasetRecord],
    pending: MutableMapping[str, PendingVerification],
    change: Change,
) -> None:
    """Apply ``change`` to a state's records and pending verifications, in place. Pending
    verifications keep the order they were added in."""
    datasets.update(change.records)
    for dataset, owed in change.pending.items():
        pending.pop(dataset, None)
        if owed is not None:
            pending[dataset] = owed
    for dataset, verification in change.verified.items():
        record = datasets.get(dataset)
        if record is not None:
            datasets[dataset] = record.with_verification(verification)


def replay(state: StateFile, lines: Iterable[JournalLine]) -> StateFile:
    """``state`` with every line's change applied, in order (same lineage and serial)."""
    datasets, pending = dict(state.datasets), dict(state.pending)
    for line in lines:
        apply_change(datasets, pending, line.change)
    return state.model_copy(update={"datasets": datasets, "pending": pending})


def encode_line(line: JournalLine) -> bytes:
    return line.model_dump_json().encode("utf-8") + b"\n"


def read_journal(path: Path) -> list[JournalLine] | None:
    """The lines of the journal at ``path``; ``None`` when there is none.

    The last line, when it does not end with a newline, is a write a kill cut short: it is
    left out (what it said was never acknowledged). Any other line that cannot be read makes
    the journal corrupt (:class:`StateCorrupt`, naming the line).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StateCorrupt(
            f"{path}: cannot read the state's journal ({error.strerror or error})",
            hint=_hint(path),
        ) from None
    complete = data[: data.rfind(b"\n") + 1]
    lines = []
    for number, text in enumerate(complete.splitlines(), start=1):
        try:
            lines.append(JournalLine.model_validate_json(text))
        except ValidationError as problem:
            first = problem.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "(the line)"
            raise StateCorrupt(
                f"{path}:{number}: the state's journal has a line that cannot be read "
                f"({where}: {first['msg']})",
                hint=_hint(path),
            ) from None
    return lines


def foreign_journal(
    path: Path, lines: Sequence[JournalLine], state: StateFile, source: str
) -> StateError:
    """Why the journal at ``path`` cannot be replayed onto ``state`` (read from ``source``):
    its first line that does not continue it."""
    for number, line in enumerate(lines, start=1):
        if line.format_version != JOURNAL_FORMAT:
            return StateError(
                f"{path}:{number}: the state's journal was written by another reconciler "
                f"(journal format_version {line.format_version}; this one reads "
                f"{JOURNAL_FORMAT}); nothing was changed",
                hint="Run the reconciler version that wrote it once (any command that "
                "writes the state folds the journal in), then upgrade.",
            )
        if line.lineage != state.lineage or line.extends != state.serial:
            return StateCorrupt(
                f"{path}:{number}: the state's journal continues the state of lineage "
                f"{line.lineage} at serial {line.extends}, but {source} is lineage "
                f"{state.lineage} at serial {state.serial}; nothing was changed",
                hint=f"The journal belongs to another state file (one copied over {source}, or "
                f"an older copy of it). If {source} is the state you mean, move {path.name} "
                "aside: the state is a cache and the next plan adopts what already matches. "
                "Or run `reconciler state rebuild`.",
            )
    return StateCorrupt(f"{path}: the state's journal cannot be replayed", hint=_hint(path))


def _hint(path: Path) -> str:
    return (
        f"Move {path.name} aside (the state is a cache: the next plan adopts what already "
        "matches), or run `reconciler state rebuild`."
    )


class JournalFile:
    """The appending end of the journal continuing ``base`` (a state as saved): each append
    writes its changes' lines at once and fsyncs them, after ``check`` (the state's lock is
    still this run's).

    The file is made on the first append, emptied if a journal already folded into the state
    is still there, and its folder fsynced so that it survives a crash; one writer only,
    under the state's lock.
    """

    def __init__(self, path: Path, base: StateFile, check: Callable[[], None]) -> None:
        self.path = path
        self.base = base
        self._check = check
        self._fd: int | None = None

    def append(self, changes: Sequence[Change]) -> None:
        self._check()
        lineage, serial = self.base.lineage, self.base.serial
        data = b"".join(
            encode_line(JournalLine(change=change, extends=serial, lineage=lineage))
            for change in changes
        )
        try:
            fd = self._open()
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except OSError as error:
            raise StateError(
                f"{self.path}: cannot write the state's journal "
                f"({error.strerror or type(error).__name__})",
                hint="Free disk space or fix the directory's permissions, then re-run: "
                "what was applied before this point is recorded.",
            ) from None

    def _open(self) -> int:
        if self._fd is None:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
            self._fd = os.open(self.path, flags | os.O_NOFOLLOW, 0o644)
            _fsync_folder(self.path.parent)
        return self._fd

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def remove_journal(path: Path) -> None:
    """Remove a journal whose lines the state file holds now (nothing when there is none)."""
    try:
        path.unlink()
    except FileNotFoundError:
        return
    except OSError as error:
        raise StateError(
            f"{path}: cannot remove the state's journal, already folded into the state "
            f"({error.strerror or error})",
            hint="Fix the directory's permissions. The journal is harmless: the state holds "
            "its changes, so it is ignored.",
        ) from None
    with contextlib.suppress(OSError):
        _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
