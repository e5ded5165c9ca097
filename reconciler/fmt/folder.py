"""``fmt`` over the contracts folder: read as validate reads it, lay out, write safely.

The folder is read by :func:`reconciler.desired.load_desired`, so fmt sees the files, and
the errors, that validate sees. A file with an error is left as it is. Each other file is
laid out by :func:`reconciler.fmt.canonical.format_contract` (which refuses any change but
layout) and, unless only checking, written back:

* only when its bytes are still those that were formatted (re-read right before);
* through the one file writer (:func:`reconciler.files.write_file`): a temporary
  file renamed over the old one, every folder opened without following links, a symbolic
  link refused rather than written through;
* never a symbolic link itself: fmt formats files, and leaves links as they are.

Large folders are laid out by several processes (the work is CPU-bound); writing stays
in this one.
"""

from __future__ import annotations

import enum
import multiprocessing
import os
import stat
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from reconciler.contract.diagnostics import Diagnostic
from reconciler.contract.silence import RuleSetting
from reconciler.desired import load_desired
from reconciler.errors import WriteRefused
from reconciler.files import sync_folders, write_file
from reconciler.fmt.canonical import MENDED_RULES, Refusal, format_contract

# Below this many files one process is faster than starting others.
PARALLEL_THRESHOLD = 200


class Outcome(str, enum.Enum):
    CANONICAL = "canonical"  # already in the canonical layout
    FORMATTED = "formatted"  # rewritten in it
    UNFORMATTED = "unformatted"  # not in it (--check: nothing written)
    INVALID = "invalid"  # has errors: left as it is
    REFUSED = "refused"  # the layout would change more than layout, or it cannot be written
    LINK = "link"  # a symbolic link: left as it is


@dataclass(frozen=True)
class FileResult:
    display: str  # as validate names it
    outcome: Outcome
    before: str | None = None
    after: str | None = None
    refusal: Refusal | None = None


@dataclass(frozen=True)
class FmtReport:
    root: Path
    files: list[FileResult]
    errors: list[Diagnostic]  # of the files left as they are because they are invalid

    def having(self, *outcomes: Outcome) -> list[FileResult]:
        return [f for f in self.files if f.outcome in outcomes]

    @property
    def ok(self) -> bool:
        return not self.having(Outcome.INVALID, Outcome.REFUSED, Outcome.UNFORMATTED)


@dataclass(frozen=True)
class _Candidate:
    display: str
    relative: PurePosixPath
    text: str


def format_folder(
    root: Path,
    *,
    variables: Mapping[str, str],
    write: bool,
    rules: Mapping[str, RuleSetting] | None = None,
) -> FmtReport:
    """Lay out every valid contract below ``root`` (valid as ``rules:`` weighs our rules);
    write them back when ``write``.

    Soda's engine does not referee here: fmt mends what it refuses (a tab in YAML), and
    every write is checked to read the same as Soda's engine reads it."""
    desired = load_desired(root, variables=variables, rules=rules)
    errors = [d for d in desired.diagnostics if d.is_error and d.rule not in MENDED_RULES]
    failing = {d.file for d in errors}
    results = [FileResult(display, Outcome.INVALID) for display in sorted(failing)]
    candidates: list[_Candidate] = []
    for display, parsed in desired.parsed.items():
        if display in failing or parsed.raw_text is None:
            continue
        relative = _relative(root, display)
        if (root / relative).is_symlink():
            results.append(FileResult(display, Outcome.LINK))
        else:
            candidates.append(_Candidate(display, relative, parsed.raw_text))
    laid_out = _lay_out_all(candidates, dict(variables))
    written: list[PurePosixPath] = []
    for candidate, after in zip(candidates, laid_out, strict=True):
        result = _settle(root, candidate, after, write=write)
        if result.outcome is Outcome.FORMATTED:
            written.append(candidate.relative.parent)
        results.append(result)
    sync_folders(root, written)
    results.sort(key=lambda r: r.display)
    return FmtReport(root, results, errors)


def _settle(root: Path, candidate: _Candidate, after: str | Refusal, *, write: bool) -> FileResult:
    display, before = candidate.display, candidate.text
    if isinstance(after, Refusal):
        return FileResult(display, Outcome.REFUSED, before, refusal=after)
    if after == before:
        return FileResult(display, Outcome.CANONICAL, before, after)
    if not write:
        return FileResult(display, Outcome.UNFORMATTED, before, after)
    refusal = _write(root, candidate, after)
    if refusal is not None:
        return FileResult(display, Outcome.REFUSED, before, after, refusal)
    return FileResult(display, Outcome.FORMATTED, before, after)


def _write(root: Path, candidate: _Candidate, text: str) -> Refusal | None:
    if _current_bytes(root / candidate.relative) != candidate.text.encode("utf-8"):
        return Refusal(
            1,
            1,
            "fmt-changed",
            "the file changed while fmt was laying it out; it was not written",
            "Run fmt again once nothing else is writing the file.",
        )
    try:
        write_file(root, candidate.relative, text.encode("utf-8"), sync_folder=False)
    except WriteRefused as error:
        return Refusal(
            1,
            1,
            "fmt-write",
            f"cannot be written safely: {error}",
            "Check the folder's permissions; fmt writes files, never symbolic links.",
        )
    return None


def _current_bytes(path: Path) -> bytes | None:
    """The file's bytes now; None for a link, a non-regular or an unreadable file."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        chunks: list[bytes] = []
        while chunk := os.read(descriptor, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(descriptor)


def _relative(root: Path, display: str) -> PurePosixPath:
    shown_root = root.as_posix().rstrip("/") or "/"
    if shown_root == ".":
        return PurePosixPath(display)
    return PurePosixPath(display).relative_to(PurePosixPath(shown_root))


def _lay_out(candidates: Sequence[_Candidate], variables: dict[str, str]) -> list[str | Refusal]:
    return [format_contract(c.text, c.display, variables) for c in candidates]


def _lay_out_all(candidates: list[_Candidate], variables: dict[str, str]) -> list[str | Refusal]:
    workers = os.cpu_count() or 1
    if workers <= 1 or len(candidates) < PARALLEL_THRESHOLD:
        return _lay_out(candidates, variables)
    size = -(-len(candidates) // (workers * 4))
    chunks = [candidates[i : i + size] for i in range(0, len(candidates), size)]
    # fork starts workers in milliseconds, but is unsafe once other threads exist.
    forkable = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    method = "fork" if forkable else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        laid_out = pool.map(_lay_out, chunks, [variables] * len(chunks))
        return [result for chunk in laid_out for result in chunk]
