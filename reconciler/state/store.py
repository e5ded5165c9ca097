"""Reading and writing the state file: atomic, with a backup, one writer at a time.

A save goes through the one atomic writer (:func:`reconciler.files.write_file`): it writes a
temporary file in the same directory, flushes and fsyncs it, hard-links the current file
aside, renames the temporary file over the current one, renames the link to
``<name>.backup`` and fsyncs the directory. At every instant the path holds either the
previous or the new state, complete, and the backup an older one, so a run killed at any
moment leaves a state that loads (and a backup that loads). A state path that is a symbolic
link is refused, for reading and writing alike: a save would replace the link. The backup always continues the
state's lineage: a save that starts the file afresh removes a backup of another lineage.

A store that knows its project (``project=``) refuses a state recorded for another project,
or one that is not the file its backup continues (another lineage): it was swapped.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from reconciler.clock import Clock, SystemClock
from reconciler.errors import StateCorrupt, StateError, StateForeign, WriteRefused
from reconciler.files import FileKey, file_key, remove_leftovers, write_file
from reconciler.state.changes import (
    JOURNAL_FORMAT,
    JournalFile,
    JournalLine,
    foreign_journal,
    journal_path_for,
    read_journal,
    remove_journal,
    replay,
)
from reconciler.state.codec import decode, encode
from reconciler.state.lock import (
    LockInfo,
    StateLock,
    file_kind,
    lock_path_for,
    read_lock,
    unlock,
)
from reconciler.state.model import StateFile, StateProject
from reconciler.state.remote import refuse_copy_over

logger = logging.getLogger("reconciler.state")

# The lineage of a canonical state file: a top-level key, indented by two. Only structure
# holds a raw newline (JSON strings escape theirs), so this cannot match inside a value.
_LINEAGE_KEY = b'\n  "lineage": "'
# A reader without the lock may see the state file replaced under it (an apply compacting
# its journal): it reads both again, a few times, before calling a journal another state's.
_JOURNAL_READS = 3


class StateStore:
    """The state file at ``path``.

    ``load`` never writes. ``save`` needs the lock (``with store.lock("apply"): ...``) and
    bumps the serial only when the content changed, so it is safe and cheap to call after
    every mutating API call. With a ``project``, ``load`` refuses another project's state and
    ``save`` records the project in a state that has none yet.
    """

    def __init__(
        self, path: Path, clock: Clock | None = None, *, project: StateProject | None = None
    ) -> None:
        self.path = path
        self.clock: Clock = clock or SystemClock()
        self.project = project
        self._lock: StateLock | None = None
        # The state as last read or written by this store, and which file version it was.
        self._baseline: tuple[StateFile, FileKey] | None = None
        self._swept = False
        # Saves may be run in worker threads (to keep an event loop free): one at a time.
        self._saving = threading.Lock()

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def backup_path(self) -> Path:
        return self.path.with_name(self.path.name + ".backup")

    @property
    def lock_path(self) -> Path:
        return lock_path_for(self.path)

    @property
    def journal_path(self) -> Path:
        return journal_path_for(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    # -- reading ---------------------------------------------------------------------------

    def load(self) -> StateFile:
        """The saved state; a new empty one (not written) when there is no file yet.

        A journal left beside the file (by an apply that was killed, or that is running) is
        replayed onto it; while this store holds the lock it is also folded into the file
        (compacted), so a writing command starts from a state without one. Raises
        :class:`StateForeign` when the store knows its project and the file belongs to
        another (see :meth:`foreign`), :class:`StateCorrupt` for a journal that continues
        another state.
        """
        state, key = self._file_state()
        lines = read_journal(self.journal_path)
        for _ in range(_JOURNAL_READS):
            if not lines:
                return state
            if self._continues(lines, state):
                replayed = replay(state, lines)
                return self.save(replayed) if self._holding() else self._as_compacted(replayed)
            if self._folded(lines, state):
                return self.save(state) if self._holding() else state
            # An apply may have compacted (and begun its next journal) between the reads.
            again, again_key = self._file_state()
            if again_key == key:
                break
            state, key = again, again_key
            lines = read_journal(self.journal_path)
        raise foreign_journal(self.journal_path, lines or [], state, str(self.path))

    def _file_state(self) -> tuple[StateFile, FileKey | None]:
        """The state file as it is (or the fresh state, without one), and its version."""
        loaded = self._read()
        if loaded is None:
            return self.fresh(), None
        problem = self.foreign(loaded[0])
        if problem is not None:
            raise problem
        return loaded

    @staticmethod
    def _continues(lines: list[JournalLine], state: StateFile) -> bool:
        return all(
            line.lineage == state.lineage
            and line.extends == state.serial
            and line.format_version == JOURNAL_FORMAT
            for line in lines
        )

    @staticmethod
    def _folded(lines: list[JournalLine], state: StateFile) -> bool:
        """Whether ``lines`` were compacted into ``state`` already (a run killed after the
        compaction's save, before the journal's removal): they continue the serial before
        it, and replaying them changes nothing."""
        return all(
            line.lineage == state.lineage
            and line.extends == state.serial - 1
            and line.format_version == JOURNAL_FORMAT
            for line in lines
        ) and replay(state, lines).same_content(state)

    def _as_compacted(self, replayed: StateFile) -> StateFile:
        """A journal that no live run is writing is a killed apply's: the next writer folds
        it in as the next serial, so a reader is given that serial already (a plan saved now
        is still current after the compaction). A running apply's is shown as it is."""
        try:
            holder = read_lock(self.path)
        except StateError:
            return replayed
        if holder is not None and not holder.looks_stale():
            return replayed
        return replayed.model_copy(update={"serial": replayed.serial + 1})

    def _holding(self) -> bool:
        return self._lock is not None and self._lock.held

    def fresh(self) -> StateFile:
        """The empty state a new file starts from (what ``load`` gives when there is none).

        When the file is gone but its backup is there and this project's, the new state
        continues the backup's lineage, its serial past any the lost file had, so the backup
        stays an older save of the same state and a plan made from the lost file is stale.
        A file that reads and is this project's (its journal could not be replayed) is
        continued likewise.
        """
        readable = self._readable()
        if readable is not None:
            fresh = StateFile.new(readable.lineage, serial=readable.serial + 1)
            return fresh.model_copy(update={"project": readable.project})
        backup = self._read_backup()
        if backup is None:
            return StateFile.new()
        theirs = backup.project
        if self.project is not None and theirs is not None and not theirs.same_as(self.project):
            return StateFile.new()
        if not self.path.exists():
            logger.warning(
                "%s is missing but %s exists; starting from an empty state (copy the backup "
                "over %s to go back to it)",
                self.path,
                self.backup_path,
                self.path.name,
            )
        fresh = StateFile.new(backup.lineage, serial=backup.serial + 1)
        return fresh.model_copy(update={"project": backup.project})

    def _readable(self) -> StateFile | None:
        """The state file, if it is there, reads, and is this project's."""
        try:
            loaded = self._read()
        except StateError:
            return None
        if loaded is None or self.foreign(loaded[0]) is not None:
            return None
        return loaded[0]

    def foreign(self, state: StateFile) -> StateForeign | None:
        """Why ``state`` (read from this store's file) is not this project's, if it is not.

        It is not when it records another project, or when its lineage is not its backup's:
        the file was replaced by another state file. ``None`` when the store knows no project.
        """
        if self.project is None:
            return None
        recorded = state.project
        if recorded is not None and not recorded.same_as(self.project):
            return StateForeign(
                f"{self.path}: this state belongs to another project: {recorded.describe()}; "
                f"this command's project is {self.project.describe()}",
                hint=self._foreign_hint(),
            )
        backup_lineage = self._backup_lineage()
        if backup_lineage is not None and backup_lineage != state.lineage:
            return StateForeign(
                f"{self.path}: the state file is not the one its backup continues (lineage "
                f"{state.lineage}; {self.backup_path.name} has lineage {backup_lineage}): it "
                "was replaced by another state file",
                hint=f"If {self.path.name} is the state you mean, delete {self.backup_path}. "
                + self._foreign_hint(),
            )
        return None

    def _foreign_hint(self) -> str:
        return (
            "Point --state (or `state:` in reconciler.yml) at this project's state file, or "
            "run `reconciler state rebuild` to make this file this project's state, "
            "recreated from Soda Cloud (the records it holds now are dropped)."
        )

    def _read(self) -> tuple[StateFile, FileKey] | None:
        opened = self._open_regular(self.path)
        if opened is None:
            return None
        fd, key = opened
        try:
            if self._baseline is not None and self._baseline[1] == key:
                return self._baseline
            data = _read_all(fd)
        except OSError as error:
            raise StateCorrupt(
                f"{self.path}: cannot read the state file ({error.strerror or error})",
                hint=self._recovery_hint(),
            ) from None
        finally:
            os.close(fd)
        try:
            state = decode(data, source=str(self.path))
        except StateCorrupt as error:
            raise StateCorrupt(error.message, hint=self._recovery_hint()) from None
        self._baseline = (state, key)
        return self._baseline

    def _open_regular(self, path: Path) -> tuple[int, FileKey] | None:
        """``path`` opened for reading (``None`` if absent), refused unless a regular file.

        Opened without blocking: a FIFO given as the state would otherwise wait for a writer
        for ever, deaf to signals.
        """
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise _not_a_file(path, "directory") from None
        except OSError as error:
            if error.errno == errno.ELOOP:  # O_NOFOLLOW met a link: the writer never follows one
                raise _not_a_file(path, "symbolic link") from None
            raise StateCorrupt(
                f"{path}: cannot read the state file ({error.strerror or error})",
                hint=self._recovery_hint(),
            ) from None
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            os.close(fd)
            raise _not_a_file(path, file_kind(status.st_mode))
        return fd, file_key(status)

    def _read_backup(self) -> StateFile | None:
        """The backup, if it is there and loads."""
        data = self._backup_bytes()
        if data is None:
            return None
        try:
            return decode(data, source=str(self.backup_path))
        except StateError:
            return None

    def _backup_lineage(self) -> str | None:
        """The backup's lineage, read without decoding it (``None``: no backup, or unknown)."""
        data = self._backup_bytes()
        start = data.rfind(_LINEAGE_KEY) if data is not None else -1
        if data is None or start < 0:
            return None
        start += len(_LINEAGE_KEY)
        end = data.find(b'"', start)
        return data[start:end].decode("utf-8", "replace") if end > start else None

    def _backup_bytes(self) -> bytes | None:
        try:
            opened = self._open_regular(self.backup_path)
        except StateError:
            return None
        if opened is None:
            return None
        fd = opened[0]
        try:
            return _read_all(fd)
        except OSError:
            return None
        finally:
            os.close(fd)

    def require_regular_file(self) -> None:
        """Refuse at once a state path that exists and is not a regular file."""
        try:
            status = os.lstat(self.path)  # a link is refused: saving would replace it
        except FileNotFoundError:
            return
        except OSError as error:
            raise StateError(
                f"{self.path}: cannot use the state path ({error.strerror or error})",
                hint="Give --state (or `state:` in reconciler.yml) the path of a file.",
            ) from None
        if stat.S_ISLNK(status.st_mode):
            raise _not_a_file(self.path, "symbolic link")
        if not stat.S_ISREG(status.st_mode):
            raise _not_a_file(self.path, file_kind(status.st_mode))

    def _recovery_hint(self) -> str:
        rebuild = "`reconciler state rebuild` recreates it from Soda Cloud"
        if self.backup_path.exists():
            return (
                f"The previous copy is in {self.backup_path} (copy it over {self.path.name} "
                f"to go back one save), or {rebuild}."
            )
        return f"The state is a cache: {rebuild}."

    # -- writing ---------------------------------------------------------------------------

    def lock(
        self,
        operation: str,
        *,
        timeout: float = 0.0,
        report: Callable[[str], None] | None = None,
    ) -> StateLock:
        """The lock that ``save`` needs, for ``operation`` (named to whoever is refused).

        It waits up to ``timeout`` clock seconds for a live holder, and takes over the lock
        of a holder that is provably gone; ``report`` hears a line when it does either. A
        state path that is not a regular file is refused here, before anything else.
        """
        self.require_regular_file()
        self._lock = StateLock(self.path, operation, self.clock, timeout=timeout, report=report)
        return self._lock

    def save(self, state: StateFile, *, replace: bool = False) -> StateFile:
        """Write ``state`` if its content differs from the saved one; returns what is saved.

        The returned value carries the new serial (one more than the saved one) when the
        content changed, else it is the saved state unchanged and nothing is written. A state
        of another lineage is refused. ``replace`` (for ``state rebuild``) writes over a file
        that cannot be read or is not this project's (:meth:`foreign`) instead; a backup of
        another lineage is then removed, and the backup of the last good save is kept.

        A journal beside the file is removed once the state is saved: the state saved holds
        its changes (it was loaded with them replayed).
        """
        lock = self._held_lock()
        with self._saving:
            lock.ensure_held()
            saved = self._save(state, replace=replace)
            remove_journal(self.journal_path)
            return saved

    def open_journal(self, state: StateFile) -> JournalFile:
        """The journal an apply appends its changes to, continuing ``state``: saved first
        unless it is the saved one (even empty, so that a journal never continues a state
        that is not on disk). Compaction is :meth:`save`."""
        lock = self._held_lock()
        with self._saving:
            lock.ensure_held()
            base = self._save(state, replace=False, even_empty=True)
            return JournalFile(self.journal_path, base, lock.ensure_held)

    def _held_lock(self) -> StateLock:
        if self._lock is None or not self._lock.held:
            raise RuntimeError(f"{self.path}: save the state only while holding store.lock()")
        return self._lock

    def _save(self, state: StateFile, *, replace: bool, even_empty: bool = False) -> StateFile:
        if self.project is not None and state.project is None:
            state = state.model_copy(update={"project": self.project})
        on_disk = self._on_disk(replace=replace)
        if on_disk == "missing" and not state.datasets and not state.pending and not even_empty:
            return state  # the same as no file at all
        if isinstance(on_disk, StateFile) and state.lineage == on_disk.lineage:
            if state.same_content(on_disk):
                return on_disk
            serial = max(state.serial, on_disk.serial) + 1
            keep_backup = True
        else:
            if isinstance(on_disk, StateFile) and not (
                replace and self.foreign(on_disk) is not None
            ):
                raise StateError(
                    f"{self.path}: refusing to overwrite the state of lineage "
                    f"{on_disk.lineage} with a state of lineage {state.lineage}",
                    hint="Load the state from this file and change that, rather than "
                    "starting a new one.",
                )
            # A file started afresh (none, unreadable, or another project's replaced).
            serial = state.serial + 1
            keep_backup = False
        saved = state.model_copy(update={"serial": serial})
        if not keep_backup:
            self._drop_backup_unless(saved.lineage)
        key = self._write(encode(saved), keep_backup=keep_backup)
        self._baseline = (saved, key)
        return saved

    def _on_disk(self, *, replace: bool) -> StateFile | Literal["missing", "corrupt"]:
        try:
            current = self._read()
        except StateCorrupt:
            if not replace:
                raise
            return "corrupt"
        return "missing" if current is None else current[0]

    def _drop_backup_unless(self, lineage: str) -> None:
        """Remove a backup of another lineage, so the backup is always this state's."""
        found = self._backup_lineage()
        if found is None or found == lineage:
            return
        logger.warning(
            "%s: removing a backup of another state (lineage %s)", self.backup_path, found
        )
        with contextlib.suppress(OSError):
            self.backup_path.unlink()

    def _write(self, data: bytes, *, keep_backup: bool) -> FileKey:
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
            if not self._swept:
                remove_leftovers(directory, self.path.name)  # under the lock: no one else's
                self._swept = True
            written = write_file(
                directory,
                self.path.name,
                data,
                keep_previous_as=self.backup_path.name if keep_backup else None,
            )
        except (OSError, WriteRefused) as error:
            reason = error.reason if isinstance(error, WriteRefused) else _reason(error)
            raise StateError(
                f"{self.path}: cannot write the state file ({reason}); "
                "the previous state is unchanged",
                hint="Free disk space or fix the directory's permissions, then re-run: "
                "what was applied before this point is recorded.",
            ) from None
        assert written is not None  # overwrite: always written
        if written.previous_not_kept is not None:
            logger.warning(
                "%s: cannot update the backup: %s", self.backup_path, written.previous_not_kept
            )
        return written.key

    def copy_in(self, state: StateFile) -> StateFile:
        """Write ``state`` as it is, its lineage and serial kept (``state migrate``), where
        there is no state file or an older save of the same lineage."""
        if self._lock is None or not self._lock.held:
            raise RuntimeError(f"{self.path}: write the state only while holding store.lock()")
        with self._saving:
            self._lock.ensure_held()
            on_disk = self._on_disk(replace=False)
            if isinstance(on_disk, StateFile):
                refuse_copy_over(str(self.path), on_disk, state)
                if on_disk.serial == state.serial and on_disk.same_content(state):
                    return on_disk
            else:
                self._drop_backup_unless(state.lineage)
            key = self._write(encode(state), keep_backup=isinstance(on_disk, StateFile))
            self._baseline = (state, key)
            # A journal beside it continued an older save, which this state supersedes.
            remove_journal(self.journal_path)
            return state

    # -- the lock, for commands ------------------------------------------------------------

    def lock_looks_stale(self, info: LockInfo) -> bool:
        return info.looks_stale()

    def read_lock(self) -> LockInfo | None:
        """Who holds the lock, if anyone (:class:`StateLocked` if it cannot be read)."""
        return read_lock(self.path)

    def unlock(self, lock_id: str, *, force: bool = False) -> LockInfo:
        """Remove the lock if its id is ``lock_id``; returns what it said.

        A holder alive on this host keeps its lock unless ``force``.
        """
        return unlock(self.path, lock_id, force=force, clock=self.clock)


def _not_a_file(path: Path, kind: str) -> StateError:
    return StateError(
        f"{path}: the state path is a {kind}, not a regular file",
        hint="Give --state (or `state:` in reconciler.yml) the path of a state file, or of "
        "one that does not exist yet.",
    )


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__
