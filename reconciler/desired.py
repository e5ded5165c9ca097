"""The desired state: the folder of contract files, read safely, validated and fingerprinted.

Every ``*.yml`` / ``*.yaml`` below the folder is one contract, identified by its ``dataset``
(with ``${var.X}`` resolved). Directories whose name starts with a dot are not searched.
Besides each file's own diagnostics, the folder has two rules:

* ``duplicate-dataset``: two files with one dataset, an error on each naming the other;
* ``path-mismatch``: a file whose path does not mirror its dataset
  (``<root>/<datasource>/<prefixes...>/<table>.yml``): a warning, an error with ``strict``.

A stub file (only ``dataset:``, optionally ``columns: []``) is valid: it asks for a
generated skeleton (``DesiredContract.is_stub``).

Nothing here raises for a user's mistake: unreadable files, symbolic links that leave the
folder, directories named ``x.yml``, oversized or non-UTF-8 files are all diagnostics.
Large folders are analysed by several processes (the work per file is CPU-bound).
"""

from __future__ import annotations

import gc
import marshal
import multiprocessing
import multiprocessing.context
import os
import stat
import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from reconciler.contract.diagnostics import Diagnostic, count, sort_diagnostics
from reconciler.contract.document import MAX_BYTES
from reconciler.contract.model import Contract
from reconciler.contract.names import name_error, shown
from reconciler.contract.parse import ParsedContract, parse_contract_bytes

SUFFIXES = (".yml", ".yaml")
# Below this many files one process is faster than starting others.
PARALLEL_THRESHOLD = 400


@dataclass(frozen=True)
class DesiredContract:
    """One usable contract file (no errors)."""

    dataset: str
    path: Path
    display_path: str
    raw_text: str
    raw_sha256: str
    semantic_fingerprint: str
    document: Any
    is_stub: bool

    @cached_property
    def model(self) -> Contract | None:
        """The validated contract; None for a stub. Built on first use."""
        if self.is_stub:
            return None
        return Contract.model_validate(self.document)


@dataclass(frozen=True)
class DesiredState:
    """The folder as read: usable contracts by dataset, and every diagnostic, sorted.

    ``parsed`` holds what was understood of every file, usable or not, by display path
    (without models), for callers that need more than the usable contracts.
    """

    root: Path
    contracts: dict[str, DesiredContract]
    diagnostics: list[Diagnostic]
    files_read: int
    parsed: dict[str, ParsedContract] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    @property
    def error_count(self) -> int:
        return count(self.diagnostics)[0]

    @property
    def warning_count(self) -> int:
        return count(self.diagnostics)[1]


@dataclass(frozen=True)
class _Found:
    path: Path
    relative: str  # posix, relative to the root
    display: str


def load_desired(
    root: Path,
    *,
    variables: Mapping[str, str] | None = None,
    strict: bool = False,
    workers: int | None = None,
) -> DesiredState:
    """Read and validate every contract below ``root``.

    ``variables`` are values for ``${var.X}`` (as ``--var`` gives them); ``strict`` turns
    path mismatches into errors; ``workers`` (default: the CPU count for large folders)
    bounds the processes used. What was loaded is frozen out of the cyclic garbage
    collector's sight (``gc.freeze``): see :func:`_collector_paused`.
    """
    supplied = dict(variables or {})
    diagnostics: list[Diagnostic] = []
    display_root = _display_root(root)
    if not root.is_dir():
        what = "is not a directory" if root.exists() else "does not exist"
        diagnostics.append(
            Diagnostic(
                display_root,
                1,
                1,
                "error",
                "unreadable",
                f"the contracts folder {display_root} {what}",
                "Pass the folder as DIR or set `contracts:` in reconciler.yml.",
            )
        )
        return DesiredState(root, {}, diagnostics, 0)
    with _collector_paused(freeze_after=True):
        return _load(root, display_root, supplied, strict, workers)


@contextmanager
def _collector_paused(*, freeze_after: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector while loading.

    Loading allocates millions of small acyclic objects that stay alive; each automatic
    collection would rescan all of them (seconds for 10,000 files) and find nothing. With
    ``freeze_after`` the loaded data is moved out of the collector's sight for good
    (``gc.freeze``), so later collections in the same run do not rescan it either; it is
    still freed as usual when no longer referenced.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze_after:
            gc.freeze()
        if was_enabled:
            gc.enable()


def _load(
    root: Path,
    display_root: str,
    supplied: dict[str, str],
    strict: bool,
    workers: int | None,
) -> DesiredState:
    diagnostics: list[Diagnostic] = []
    found, walk_problems = _walk(root, display_root)
    diagnostics.extend(walk_problems)
    files_read = len(found) + sum(1 for d in walk_problems if d.rule != "symlink-escape")
    parsed = _analyse_all(found, supplied, workers)
    by_display: dict[str, ParsedContract] = {}
    for item, result in zip(found, parsed, strict=True):
        by_display[item.display] = result
        diagnostics.extend(result.diagnostics)
    diagnostics.extend(_folder_rules(found, parsed, display_root, strict))
    diagnostics = sort_diagnostics(diagnostics)
    failing = {d.file for d in diagnostics if d.is_error}
    contracts: dict[str, DesiredContract] = {}
    for item, result in zip(found, parsed, strict=True):
        if item.display in failing or result.dataset is None or result.raw_text is None:
            continue
        contracts[result.dataset] = DesiredContract(
            dataset=result.dataset,
            path=item.path,
            display_path=item.display,
            raw_text=result.raw_text,
            raw_sha256=result.raw_sha256,
            semantic_fingerprint=result.semantic_fingerprint or "",
            document=result.document,
            is_stub=result.is_stub,
        )
    return DesiredState(root, contracts, diagnostics, files_read, by_display)


def _display_root(root: Path) -> str:
    text = root.as_posix()
    return text.rstrip("/") or "/"


def _join(display_root: str, relative: str) -> str:
    if display_root == ".":
        return relative
    return f"{display_root.rstrip('/')}/{relative}"


def _is_contract_name(name: str) -> bool:
    return name.lower().endswith(SUFFIXES)


def _walk(root: Path, display_root: str) -> tuple[list[_Found], list[Diagnostic]]:
    real_root = root.resolve()
    found: list[_Found] = []
    problems: list[Diagnostic] = []

    def problem(display: str, rule: str, message: str, hint: str | None = None) -> None:
        problems.append(Diagnostic(display, 1, 1, "error", rule, message, hint))

    def escapes(path: Path) -> bool:
        target = path.resolve()
        return target != real_root and real_root not in target.parents

    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(directory)
        relative_dir = here.relative_to(root).as_posix()
        prefix = "" if relative_dir == "." else relative_dir + "/"
        kept: list[str] = []
        for name in sorted(dirnames):
            if name.startswith("."):
                continue
            path = here / name
            display = _join(display_root, prefix + name)
            if path.is_symlink():
                if escapes(path):
                    problem(
                        display,
                        "symlink-escape",
                        f"{display} is a symbolic link to a folder outside {display_root}",
                        "Keep contracts inside the contracts folder; copy them in.",
                    )
                continue  # links inside the folder would only show the same files twice
            if _is_contract_name(name):
                problem(
                    display,
                    "unreadable",
                    f"{display} is a directory, not a contract file",
                    "Rename the directory; contract files are YAML files.",
                )
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not _is_contract_name(name):
                continue
            path = here / name
            relative = prefix + name
            display = _join(display_root, relative)
            if path.is_symlink():
                if not path.exists():
                    problem(
                        display,
                        "unreadable",
                        f"{display} is a symbolic link to a file that does not exist",
                    )
                    continue
                if escapes(path):
                    problem(
                        display,
                        "symlink-escape",
                        f"{display} is a symbolic link to a file outside {display_root}",
                        "Keep contracts inside the contracts folder; copy the file in.",
                    )
                    continue
            found.append(_Found(path, relative, display))
    return found, problems


def _read(item: _Found) -> bytes | Diagnostic:
    def unreadable(message: str, rule: str = "unreadable", hint: str | None = None) -> Diagnostic:
        return Diagnostic(item.display, 1, 1, "error", rule, message, hint)

    try:
        # Non-blocking, so that a FIFO named x.yml is refused instead of waited on.
        descriptor = os.open(item.path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        return unreadable(
            f"cannot read {item.display}: {error.strerror or type(error).__name__}",
            hint="Check the file's permissions.",
        )
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            return unreadable(f"{item.display} is {kind}, not a contract file")
        if info.st_size > MAX_BYTES:
            return unreadable(
                f"the file is {info.st_size:,} bytes; contracts are limited to "
                f"{MAX_BYTES:,} bytes (1 MiB)",
                "file-too-large",
                "Split the contract or remove generated bulk; no real contract is this large.",
            )
        chunks: list[bytes] = []
        remaining = MAX_BYTES + 1
        while remaining > 0:
            chunk = os.read(descriptor, remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    except OSError as error:
        return unreadable(
            f"cannot read {item.display}: {error.strerror or type(error).__name__}",
            hint="Check the file's permissions.",
        )
    finally:
        os.close(descriptor)


def is_stub_on_disk(path: Path) -> bool:
    """Whether ``path`` holds a stub now, read afresh (read as the folder is: a FIFO or an
    unreadable file is no stub). A skeleton may be written only over a stub."""
    data = _read(_Found(path, path.name, str(path)))
    if isinstance(data, Diagnostic):
        return False
    return parse_contract_bytes(data, str(path), allow_stub=True).is_stub


def _analyse(item: _Found, supplied: Mapping[str, str]) -> ParsedContract:
    data = _read(item)
    if isinstance(data, Diagnostic):
        return ParsedContract(
            item.display, None, "", None, None, None, (1, 1), (data,), False, None
        )
    return parse_contract_bytes(data, item.display, variables=supplied, allow_stub=True)


def _analyse_chunk(items: list[_Found], supplied: dict[str, str]) -> list[ParsedContract]:
    with _collector_paused():  # in a worker process too
        return [_analyse(item, supplied) for item in items]


_Packed = tuple[Any, ...]


def _pack(parsed: ParsedContract) -> _Packed:
    # Results cross a process boundary: marshal moves plain data many times faster than
    # pickling it, and the model is rebuilt on demand (DesiredContract.model).
    return (
        parsed.source,
        parsed.raw_text,
        parsed.raw_sha256,
        marshal.dumps(parsed.document),
        parsed.semantic_fingerprint,
        parsed.dataset,
        parsed.dataset_position,
        parsed.diagnostics,
        parsed.is_stub,
    )


def _unpack(packed: _Packed) -> ParsedContract:
    source, text, sha, document, fingerprint, dataset, position, diagnostics, stub = packed
    return ParsedContract(
        source,
        text,
        sha,
        marshal.loads(document),
        fingerprint,
        dataset,
        position,
        diagnostics,
        stub,
        None,
    )


def _analyse_packed(items: list[_Found], supplied: dict[str, str]) -> list[_Packed]:
    # Packing each result at once frees its objects at once: the worker's heap stays small.
    with _collector_paused():
        return [_pack(_analyse(item, supplied)) for item in items]


def _start_method() -> multiprocessing.context.BaseContext:
    # fork starts workers in milliseconds, but is unsafe once other threads exist.
    methods = multiprocessing.get_all_start_methods()
    if threading.active_count() == 1 and "fork" in methods:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _analyse_all(
    found: list[_Found], supplied: dict[str, str], workers: int | None
) -> list[ParsedContract]:
    count_workers = workers if workers is not None else (os.cpu_count() or 1)
    if count_workers <= 1 or len(found) < PARALLEL_THRESHOLD:
        return _analyse_chunk(found, supplied)
    size = -(-len(found) // (count_workers * 8))
    chunks = [found[i : i + size] for i in range(0, len(found), size)]
    with ProcessPoolExecutor(max_workers=count_workers, mp_context=_start_method()) as pool:
        results = pool.map(_analyse_packed, chunks, [supplied] * len(chunks))
        return [_unpack(packed) for chunk in results for packed in chunk]


def _folder_rules(
    found: Iterable[_Found],
    parsed: Iterable[ParsedContract],
    display_root: str,
    strict: bool,
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    by_dataset: dict[str, list[tuple[_Found, ParsedContract]]] = {}
    for item, result in zip(found, parsed, strict=True):
        if result.dataset is None:
            continue
        by_dataset.setdefault(result.dataset, []).append((item, result))
        if "${" in result.dataset or name_error(result.dataset) is not None:
            continue  # reported on their own; no path can mirror such a name
        expected = [result.dataset + suffix for suffix in SUFFIXES]
        if item.relative not in expected:
            stem_suffix = Path(item.relative).suffix
            line, col = result.dataset_position
            out.append(
                Diagnostic(
                    item.display,
                    line,
                    col,
                    "error" if strict else "warning",
                    "path-mismatch",
                    f"the file path does not mirror dataset '{shown(result.dataset)}'; expected "
                    f"{shown(_join(display_root, result.dataset + stem_suffix))}",
                    "Move the file (or correct `dataset:`), so a reader can find a contract "
                    "by its dataset name.",
                )
            )
    for dataset, files in by_dataset.items():
        if len(files) < 2:
            continue
        for item, result in files:
            others = ", ".join(
                f"{other.display}:{other_result.dataset_position[0]}"
                for other, other_result in files
                if other is not item
            )
            line, col = result.dataset_position
            out.append(
                Diagnostic(
                    item.display,
                    line,
                    col,
                    "error",
                    "duplicate-dataset",
                    f"dataset '{shown(dataset)}' is also described by {others}",
                    "Keep one contract per dataset: merge the files or correct `dataset:`.",
                )
            )
    return out
