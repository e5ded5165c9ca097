"""``import``: Soda Cloud contracts into the contracts folder, byte for byte.

Two halves:

* pure: :func:`name_problem` and :func:`relative_path` turn a dataset name into the path
  ``<datasource>/<prefixes...>/<table>.yml``, or say why the name cannot be a safe path;
  :func:`plan_import` decides per contract: write, replace (``--force``), skip or refuse;
  :func:`drifted_files` and :func:`plan_drifted` do the same for ``import --drifted``: the
  files of the datasets the audit calls drifted are replaced by Soda Cloud's text, unless
  a file has changes of its own that were never applied.
* effects: :func:`execute_import` writes each file with the one atomic writer
  (:func:`reconciler.files.write_file`: temporary file, then rename or link, never following
  a symbolic link), and :func:`record_imported` adds the state records that make the next
  plan a no-op for what was imported.

A dataset name comes from Soda Cloud, so it is treated as untrusted input: nothing it says
may leave the folder, name a device, or make a path some common file system cannot hold.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from reconciler.audit.auditor import audit_dataset
from reconciler.audit.model import Category
from reconciler.cloud.dto import Contract
from reconciler.contract import ParsedContract, parse_contract_bytes
from reconciler.contract.fingerprint import raw_sha256
from reconciler.contract.names import name_error, name_problems
from reconciler.desired import DesiredState
from reconciler.errors import WriteRefused
from reconciler.files import sync_folders, write_file
from reconciler.plan.globs import glob_matches
from reconciler.render.escape import printable as printable  # shown names, escaped as rendered
from reconciler.state import DatasetRecord, StateFile

SUFFIX = ".yml"
# Most file systems (ext4, APFS, NTFS, ...) hold at most 255 bytes per name.
MAX_NAME_BYTES = 255
# Windows refuses these as file or folder names, with any extension, in any case.
RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"com{n}" for n in "123456789¹²³"}
    | {f"lpt{n}" for n in "123456789¹²³"}
)
WINDOWS_FORBIDDEN = frozenset('<>:"|?*')
CONTRACT_SUFFIXES = (".yml", ".yaml")


def name_problem(dataset: str) -> str | None:
    """Why ``dataset`` cannot safely become a path inside the folder; None when it can.

    First the rule every command applies (:func:`reconciler.contract.names.name_error`),
    then what only a path needs: no backslash, nothing Windows or a file system refuses."""
    if "\x00" in dataset:
        return "the name holds a NUL character"
    if "\\" in dataset:
        return "the name holds a backslash, a path separator on Windows"
    shared = name_error(dataset)
    if shared is not None:
        return shared.reason
    segments = dataset.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        problem = _segment_problem(segment, last)
        if problem is not None:
            shown = printable(segment[:40]) + ("..." if len(segment) > 40 else "")
            return f"part {index + 1} of the name ('{shown}') {problem}"
    return None


def name_warnings(dataset: str) -> tuple[str, ...]:
    """What the common name rule warns about ``dataset`` (look-alike letters)."""
    return tuple(p.reason for p in name_problems(dataset) if not p.is_error)


def _segment_problem(segment: str, last: bool) -> str | None:
    if segment.startswith("."):
        return "starts with a dot: a hidden name the contracts folder does not read"
    if segment[-1] in ". ":
        return "ends with a dot or a space, which Windows silently drops"
    forbidden = sorted(WINDOWS_FORBIDDEN.intersection(segment))
    if forbidden:
        return f"holds {' '.join(forbidden)}, not allowed in file names on Windows"
    file_name = segment + SUFFIX if last else segment
    if file_name.split(".", 1)[0].rstrip(" ").lower() in RESERVED_NAMES:
        return "is a device name reserved on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9)"
    size = len(file_name.encode("utf-8", "surrogatepass"))
    if size > MAX_NAME_BYTES:
        return f"makes a file name of {size} bytes; file systems allow {MAX_NAME_BYTES}"
    if not last and segment.lower().endswith(CONTRACT_SUFFIXES):
        return "ends like a contract file, but would be a folder"
    return None


def relative_path(dataset: str) -> PurePosixPath:
    """``<datasource>/<prefixes...>/<table>.yml`` for a name :func:`name_problem` accepts."""
    problem = name_problem(dataset)
    if problem is not None:
        raise ValueError(f"dataset {printable(dataset)!r}: {problem}")
    return PurePosixPath(dataset + SUFFIX)


class Decision(str, enum.Enum):
    WRITE = "write"
    REPLACE = "replace"
    SKIP = "skip"
    REFUSE = "refuse"


class NoteCode(str, enum.Enum):
    """What an import says about one dataset, beside what it did."""

    NAME_REFUSED = "name-refused"  # detail: why the name cannot be a path in the folder
    NO_CONTENTS = "no-contents"  # Soda Cloud returned none
    NOT_UTF8 = "not-utf8"  # Soda Cloud's contents cannot be written as UTF-8
    SEVERAL_FILES = "several-files"  # paths: the files that describe the dataset already
    AT_ITS_FILE = "at-its-file"  # written into the dataset's own file, at another path
    EXISTS_ELSEWHERE = "exists-elsewhere"  # path: its file, kept (--force writes into it)
    OCCUPIED = "occupied"  # path: holds another dataset (``other``)
    EXISTS = "exists"  # its file exists, kept (--force overwrites it)
    LOOKALIKE = "lookalike"  # detail: the name rule's warning about look-alike letters
    WRITE_REFUSED = "write-refused"  # detail: why the file could not be written safely
    INVALID = "invalid"  # written, but it does not validate: count, and the first error
    ENVIRONMENT_NAME = "environment-name"  # detail: why no file of the folder can manage it
    ENVIRONMENT_VALUE = "environment-value"  # detail: the variable; other: its value, found
    # --drifted: path: the file differs from the text last applied (changes never applied);
    # Soda Cloud's text was not written over it.
    UNAPPLIED_CHANGES = "unapplied-changes"


@dataclass(frozen=True)
class ImportNote:
    code: NoteCode
    path: str | None = None
    paths: tuple[str, ...] = ()
    other: str | None = None  # OCCUPIED: the dataset the file describes
    detail: str | None = None
    count: int = 0  # INVALID: errors
    line: int = 0  # INVALID: the first error's line


@dataclass(frozen=True)
class ImportItem:
    dataset: str
    decision: Decision
    contract: Contract
    path: PurePosixPath | None = None  # relative to the folder
    notes: tuple[ImportNote, ...] = ()
    # Replace the file only while it still holds these bytes (their SHA-256): the text last
    # applied, as read when planned. A file edited since is refused, never overwritten.
    only_over: str | None = None


@dataclass(frozen=True)
class ImportPlan:
    items: tuple[ImportItem, ...]
    unmatched_globs: tuple[str, ...] = ()


def plan_import(
    contracts: Mapping[str, Contract],
    existing: Mapping[str, str | None],
    recorded: Collection[str],
    *,
    globs: Sequence[str] = (),
    force: bool = False,
) -> ImportPlan:
    """What to do per Soda Cloud contract (``contracts``: by dataset name).

    ``existing`` maps the folder's contract files (relative posix paths) to the dataset each
    describes (None: unreadable). Without ``globs`` every unmanaged contract is taken (no
    file, no state record); with them, every contract whose name matches one.
    """
    files: dict[str, list[str]] = {}
    for path, described in existing.items():
        if described is not None:
            files.setdefault(described, []).append(path)
    if globs:
        chosen = sorted(name for name in contracts if any(glob_matches(g, name) for g in globs))
        unmatched = tuple(g for g in globs if not any(glob_matches(g, name) for name in contracts))
    else:
        chosen = sorted(name for name in contracts if name not in files and name not in recorded)
        unmatched = ()
    items = tuple(
        _warned(_decide(name, contracts[name], sorted(files.get(name, ())), existing, force))
        for name in chosen
    )
    return ImportPlan(items=items, unmatched_globs=unmatched)


def existing_files(desired: DesiredState) -> dict[str, str | None]:
    """The folder's contract files (paths relative to it, posix) and the dataset each
    describes (None: it names none readable), as :func:`plan_import` takes them."""
    root_shown = desired.root.as_posix().rstrip("/") or "/"
    prefix = "" if root_shown == "." else root_shown.rstrip("/") + "/"
    files: dict[str, str | None] = {}
    for shown, parsed in desired.parsed.items():
        if prefix and not shown.startswith(prefix):
            continue
        files[shown[len(prefix) :]] = parsed.dataset
    return files


@dataclass(frozen=True)
class DriftedFile:
    """A dataset the audit calls drifted (Soda Cloud changed it outside git since the last
    apply), with its file and Soda Cloud's contract."""

    dataset: str
    path: PurePosixPath  # relative to the folder
    contract: Contract
    file_sha256: str  # the file's bytes as read
    applied_sha256: str | None  # the text last applied (None: never)


def drifted_files(
    desired: DesiredState,
    contracts: Mapping[str, Contract],
    state: StateFile,
    *,
    globs: Sequence[str] = (),
) -> tuple[DriftedFile, ...]:
    """The folder's drifted datasets (matching one of ``globs``, when given), as the audit
    decides it: the same comparison, the same category."""
    found = []
    for dataset, file in sorted(desired.contracts.items()):
        if globs and not any(glob_matches(g, dataset) for g in globs):
            continue
        record = state.datasets.get(dataset)
        entry = audit_dataset(dataset, file, contracts.get(dataset), record)
        if entry.category is not Category.DRIFTED:
            continue
        found.append(
            DriftedFile(
                dataset=dataset,
                path=PurePosixPath(file.path.relative_to(desired.root).as_posix()),
                contract=contracts[dataset],
                file_sha256=file.raw_sha256,
                applied_sha256=record.raw_sha256 if record is not None else None,
            )
        )
    return tuple(found)


def plan_drifted(drifted: Iterable[DriftedFile]) -> ImportPlan:
    """Replace each drifted file with Soda Cloud's text, byte for byte; refuse a file that
    differs from the text last applied (it holds changes never applied, which Soda Cloud's
    text would erase: a person merges the two)."""
    items = []
    for found in drifted:
        contents = found.contract.contents
        refusal: ImportNote | None = None
        if found.file_sha256 != found.applied_sha256:
            refusal = ImportNote(NoteCode.UNAPPLIED_CHANGES, path=found.path.as_posix())
        elif contents is None:
            refusal = ImportNote(NoteCode.NO_CONTENTS)
        elif not _encodable(contents):
            refusal = ImportNote(NoteCode.NOT_UTF8)
        if refusal is not None:
            items.append(
                ImportItem(found.dataset, Decision.REFUSE, found.contract, found.path, (refusal,))
            )
            continue
        items.append(
            ImportItem(
                found.dataset,
                Decision.REPLACE,
                found.contract,
                found.path,
                only_over=found.file_sha256,
            )
        )
    return ImportPlan(items=tuple(items))


def _encodable(contents: str) -> bool:
    try:
        contents.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _warned(item: ImportItem) -> ImportItem:
    """An item taken despite a look-alike name says so (validate warns about it too)."""
    warnings = name_warnings(item.dataset) if item.decision is not Decision.REFUSE else ()
    if not warnings:
        return item
    lookalike = tuple(ImportNote(NoteCode.LOOKALIKE, detail=w) for w in warnings)
    return dataclasses.replace(item, notes=(*item.notes, *lookalike))


def _decide(
    dataset: str,
    contract: Contract,
    own_files: list[str],
    existing: Mapping[str, str | None],
    force: bool,
) -> ImportItem:
    def refuse(note: ImportNote, path: PurePosixPath | None = None) -> ImportItem:
        return ImportItem(dataset, Decision.REFUSE, contract, path, (note,))

    problem = name_problem(dataset)
    if problem is not None:
        return refuse(ImportNote(NoteCode.NAME_REFUSED, detail=problem))
    if contract.contents is None:
        return refuse(ImportNote(NoteCode.NO_CONTENTS))
    try:
        contract.contents.encode("utf-8")
    except UnicodeEncodeError:
        return refuse(ImportNote(NoteCode.NOT_UTF8))
    canonical = relative_path(dataset)
    if len(own_files) > 1:
        return refuse(ImportNote(NoteCode.SEVERAL_FILES, paths=tuple(own_files)))
    if own_files and own_files[0] != canonical.as_posix():
        other = PurePosixPath(own_files[0])
        if force:
            note = ImportNote(NoteCode.AT_ITS_FILE)
            return ImportItem(dataset, Decision.REPLACE, contract, other, (note,))
        note = ImportNote(NoteCode.EXISTS_ELSEWHERE, path=other.as_posix())
        return ImportItem(dataset, Decision.SKIP, contract, other, (note,))
    key = canonical.as_posix()
    if key in existing or own_files:
        occupant = existing.get(key)
        if occupant is not None and occupant != dataset:
            return refuse(ImportNote(NoteCode.OCCUPIED, path=key, other=occupant), canonical)
        if force:
            return ImportItem(dataset, Decision.REPLACE, contract, canonical)
        note = ImportNote(NoteCode.EXISTS)
        return ImportItem(dataset, Decision.SKIP, contract, canonical, (note,))
    return ImportItem(dataset, Decision.WRITE, contract, canonical)


# -- effects -----------------------------------------------------------------------------


def imported_record(contract: Contract, parsed: ParsedContract, now: datetime) -> DatasetRecord:
    """The state record of a file written from ``contract``: what the next plan compares.

    ``parsed`` is the written bytes read as the folder's reader reads them, so the
    fingerprints match what the next plan computes; the contract id and ``lastUpdated`` are
    the server's. File, Soda Cloud and state then agree: the plan is a no-op."""
    return DatasetRecord.applied(
        at=now,
        contract_id=contract.id,
        dataset_id=contract.dataset_id,
        last_updated=contract.last_updated,
        raw_sha256=parsed.raw_sha256,
        semantic_fingerprint=parsed.semantic_fingerprint,
    )


class Outcome(str, enum.Enum):
    WRITTEN = "written"
    REPLACED = "replaced"
    SKIPPED = "skipped"
    REFUSED = "refused"


@dataclass(frozen=True)
class ImportResult:
    dataset: str
    outcome: Outcome
    path: PurePosixPath | None = None
    notes: tuple[ImportNote, ...] = ()
    record: DatasetRecord | None = None


def execute_import(root: Path, plan: ImportPlan, *, now: datetime) -> Iterator[ImportResult]:
    """Carry out ``plan`` in the folder ``root``: one result per item, in order, each
    yielded once its file is written.

    A refusal (by the plan or by the file system) affects only its own dataset. The folders
    written into are flushed once, at the end (before the caller records anything)."""
    folders: set[PurePosixPath] = set()
    try:
        yield from _execute(root, plan, now, folders)
    finally:
        sync_folders(root, folders)


def _execute(
    root: Path, plan: ImportPlan, now: datetime, folders: set[PurePosixPath]
) -> Iterator[ImportResult]:
    for item in plan.items:
        if item.decision is Decision.REFUSE:
            yield ImportResult(item.dataset, Outcome.REFUSED, item.path, item.notes)
            continue
        if item.decision is Decision.SKIP:
            yield ImportResult(item.dataset, Outcome.SKIPPED, item.path, item.notes)
            continue
        assert item.path is not None
        assert item.contract.contents is not None
        data = item.contract.contents.encode("utf-8")
        if item.only_over is not None and _sha256_of(root / item.path) != item.only_over:
            # Edited since it was read: that edit was never applied, and is kept.
            edited = ImportNote(NoteCode.UNAPPLIED_CHANGES, path=item.path.as_posix())
            yield ImportResult(item.dataset, Outcome.REFUSED, item.path, (edited,))
            continue
        try:
            written = write_file(
                root,
                item.path,
                data,
                overwrite=item.decision is Decision.REPLACE,
                sync_folder=False,
            )
        except WriteRefused as error:
            refused = ImportNote(NoteCode.WRITE_REFUSED, detail=str(error))
            yield ImportResult(item.dataset, Outcome.REFUSED, item.path, (refused,))
            continue
        if written is None:
            exists = ImportNote(NoteCode.EXISTS)  # appeared since it was looked at
            yield ImportResult(item.dataset, Outcome.SKIPPED, item.path, (exists,))
            continue
        folders.add(item.path.parent)
        parsed = parse_contract_bytes(data, (root / item.path).as_posix(), allow_stub=True)
        record = imported_record(item.contract, parsed, now)
        notes = item.notes
        if not parsed.ok:
            first = parsed.errors[0]
            invalid = ImportNote(
                NoteCode.INVALID, count=len(parsed.errors), line=first.line, detail=first.message
            )
            notes = (invalid, *notes)
        yield ImportResult(
            item.dataset,
            Outcome.REPLACED if written.replaced else Outcome.WRITTEN,
            written.path,
            notes,
            record,
        )


def _sha256_of(path: Path) -> str | None:
    try:
        return raw_sha256(path.read_bytes())
    except OSError:
        return None


def record_imported(state: StateFile, results: Iterable[ImportResult]) -> StateFile:
    """``state`` with a record for every file written."""
    for result in results:
        if result.record is not None:
            state = state.with_record(result.dataset, result.record)
    return state


@dataclass(frozen=True)
class ImportReport:
    """What an import did, per dataset, in order."""

    folder: Path
    results: tuple[ImportResult, ...]
    unmatched_globs: tuple[str, ...]
    # No glob was given and every contract in Soda Cloud has a file or a record (--drifted:
    # no dataset drifted).
    nothing_chosen: bool
    state_location: str
    drifted: bool = False  # ``import --drifted``: the files of drifted datasets

    @property
    def recorded(self) -> int:
        return sum(1 for r in self.results if r.record is not None)

    @property
    def refused(self) -> int:
        return sum(1 for r in self.results if r.outcome is Outcome.REFUSED)

    @property
    def exit_code(self) -> int:
        return 1 if self.refused or self.unmatched_globs else 0
