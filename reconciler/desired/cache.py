"""The parse cache: what reading each contract file produced, found again by the file's bytes.

A folder where a handful of 10,000 files changed is read by hashing every file and parsing
only those whose bytes are new. Under the cache folder (``.reconciler/cache/``) one *pack*
per reading context holds, for each file read in it, what its validation produced: dataset
and its position, fingerprints, whether it is a stub, and its own diagnostics (before the
folder's rules, which are recomputed every time, since they depend on the other files).

What a file's result depends on, and so what finds it again:

* its exact bytes (sha256) and its place in the folder (diagnostics name it): the entry's key;
* everything else, the pack's name: the cache format, the reconciler's version and a digest
  of the source of the modules that judge a file (so an edited checkout does not reuse
  results of other code), Python's and PyYAML's versions, the ``${var.X}`` values, the rule
  settings of ``reconciler.yml``, and whether and which Soda's engine referees.

A pack is one JSON document behind a header holding its context and the sha256 of its body:
a pack that is truncated, edited, of another format or of another context is ignored whole
(and replaced on the next write); an entry that does not have its shape sets the whole pack
aside too. Packs are written atomically (:mod:`reconciler.files`), only when something was
parsed, and the cache never makes a run fail: a cache folder that cannot be written is
simply not written.

Nothing secret is kept: variable values enter only the pack's name through a hash, and
credentials are never part of reading a folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import __version__
from reconciler.contract.diagnostics import Diagnostic
from reconciler.contract.parsed import ParsedContract
from reconciler.desired.walk import Found, read_file
from reconciler.errors import WriteRefused

CACHE_FORMAT = 1
DEFAULT_CACHE_DIR = ".reconciler/cache"
# Packs kept (the newest): a few contexts in use at once (environments' variables) stay warm.
PACKS_KEPT = 8
_PREFIX = "parse-"
_SUFFIX = ".json"
# The modules whose code decides what a file's result is.
_JUDGING = ("contract", "desired", "engine")

log = logging.getLogger("reconciler.cache")

# display path -> (sha256 of the bytes, the result without text or document)
_Entry = tuple[str, bool, str | None, str | None, tuple[int, int], bool, tuple[Diagnostic, ...]]


@dataclass(frozen=True)
class ParseCache:
    """The cache folder, and the context this run reads files in (see the module)."""

    directory: Path
    context: str

    @property
    def pack(self) -> Path:
        return self.directory / f"{_PREFIX}{self.context}{_SUFFIX}"


def parse_cache(
    directory: Path,
    *,
    variables: Mapping[str, str],
    rules: Mapping[str, str] | None = None,
    engine: str | None = None,
) -> ParseCache:
    """The cache under ``directory`` for files read with these ``${var.X}`` values, rule
    settings, and engine (None: no engine referees; else what names its version)."""
    context = {
        "format": CACHE_FORMAT,
        "reconciler": __version__,
        "code": _code_digest(),
        "python": list(sys.version_info[:3]),
        "yaml": _yaml_version(),
        "variables": sorted(variables.items()),
        "rules": sorted((rules or {}).items()),
        "engine": engine,
    }
    encoded = json.dumps(context, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return ParseCache(directory, hashlib.sha256(encoded).hexdigest())


def analysed(
    found: list[Found],
    cache: ParseCache,
    analyse: Callable[[list[Found]], list[ParsedContract]],
) -> list[ParsedContract]:
    """Every file's result, in the order found: from the cache where its bytes are known,
    else from ``analyse`` (which reads and parses them); the pack is written again when
    anything was parsed or is no longer there."""
    known = _read_pack(cache)
    results: list[ParsedContract | None] = []
    missing: list[Found] = []
    for item in found:
        hit = _hit(item, known.get(item.display))
        if hit is None:
            missing.append(item)
        results.append(hit)
    fresh = iter(analyse(missing)) if missing else iter(())
    out = [result if result is not None else next(fresh) for result in results]
    if missing or len(known) != len(found):
        _write_pack(cache, {result.source: _entry(result) for result in out if _keeps(result)})
    return out


def _hit(item: Found, entry: _Entry | None) -> ParsedContract | None:
    if entry is None:
        return None
    data = read_file(item)
    if isinstance(data, bytes) and hashlib.sha256(data).hexdigest() == entry[0]:
        return _result(item.display, data, entry)
    return None  # changed, or unreadable now: parsed (and its problem reported) afresh


def _result(source: str, data: bytes, entry: _Entry) -> ParsedContract:
    sha, text_ok, fingerprint, dataset, position, stub, diagnostics = entry
    return ParsedContract(
        source=source,
        raw_text=data.decode("utf-8") if text_ok else None,
        raw_sha256=sha,
        document=None,  # read again from the text when a comparison needs it
        semantic_fingerprint=fingerprint,
        dataset=dataset,
        dataset_position=position,
        diagnostics=diagnostics,
        is_stub=stub,
        model=None,
    )


def _keeps(result: ParsedContract) -> bool:
    # A file that could not be read has no bytes to find it again by.
    return not any(d.rule in ("unreadable", "file-too-large") for d in result.diagnostics)


def _entry(result: ParsedContract) -> _Entry:
    return (
        result.raw_sha256,
        result.raw_text is not None,
        result.semantic_fingerprint,
        result.dataset,
        result.dataset_position,
        result.is_stub,
        result.diagnostics,
    )


# ---- the pack on disk ----------------------------------------------------------------------


def _read_pack(cache: ParseCache) -> dict[str, _Entry]:
    try:
        raw = cache.pack.read_bytes()
    except OSError:
        return {}
    header, _, body = raw.partition(b"\n")
    try:
        head = json.loads(header)
        if not isinstance(head, dict) or head != _header(cache, body):
            raise ValueError("another format or context, or a damaged body")
        return {display: _entry_of(display, value) for display, value in json.loads(body).items()}
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        log.debug("the parse cache %s is set aside: %s", cache.pack, error)
        return {}


def _header(cache: ParseCache, body: bytes) -> dict[str, Any]:
    return {
        "format": CACHE_FORMAT,
        "context": cache.context,
        "sha256": hashlib.sha256(body).hexdigest(),
    }


def _entry_of(display: str, value: Any) -> _Entry:
    sha, text_ok, fingerprint, dataset, (line, col), stub, diagnostics = value
    if not (isinstance(sha, str) and isinstance(text_ok, bool) and isinstance(stub, bool)):
        raise TypeError(f"the entry of {display} is not one")
    return (
        sha,
        text_ok,
        _text_or_none(fingerprint),
        _text_or_none(dataset),
        (int(line), int(col)),
        stub,
        tuple(_diagnostic_of(display, item) for item in diagnostics),
    )


def _diagnostic_of(display: str, item: Any) -> Diagnostic:
    file, line, col, severity, rule, message, hint = item
    if severity not in ("error", "warning") or not all(
        isinstance(v, str) for v in (file, rule, message)
    ):
        raise TypeError(f"a diagnostic of {display} is not one")
    return Diagnostic(file, int(line), int(col), severity, rule, message, _text_or_none(hint))


def _text_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{value!r} is not text")


def _write_pack(cache: ParseCache, entries: Mapping[str, _Entry]) -> None:
    from reconciler.files import write_file

    body = json.dumps(
        {display: _plain(entry) for display, entry in entries.items()},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8", "surrogatepass")
    header = json.dumps(_header(cache, body), sort_keys=True).encode("ascii")
    try:
        cache.directory.mkdir(parents=True, exist_ok=True)
        write_file(cache.directory, cache.pack.name, header + b"\n" + body, sync_folder=False)
    except (OSError, WriteRefused) as error:
        log.debug("the parse cache %s is not written: %s", cache.pack, error)
        return
    _prune(cache)


def _plain(entry: _Entry) -> list[Any]:
    sha, text_ok, fingerprint, dataset, position, stub, diagnostics = entry
    return [
        sha,
        text_ok,
        fingerprint,
        dataset,
        list(position),
        stub,
        [[d.file, d.line, d.col, d.severity, d.rule, d.message, d.hint] for d in diagnostics],
    ]


def _prune(cache: ParseCache) -> None:
    with contextlib.suppress(OSError):
        packs = sorted(
            (entry for entry in os.scandir(cache.directory) if _is_pack(entry.name)),
            key=lambda entry: entry.stat().st_mtime_ns,
            reverse=True,
        )
        for old in packs[PACKS_KEPT:]:
            if old.name != cache.pack.name:
                with contextlib.suppress(OSError):
                    os.unlink(old.path)


def _is_pack(name: str) -> bool:
    return name.startswith(_PREFIX) and name.endswith(_SUFFIX)


# ---- the context ---------------------------------------------------------------------------


def _code_digest() -> str:
    """sha256 of the source of the modules that judge a file: a checkout whose code changed
    under the same version number does not reuse another code's results."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for folder in _JUDGING:
        with contextlib.suppress(OSError):
            for name in sorted(os.listdir(package / folder)):
                if name.endswith(".py"):
                    digest.update(f"{folder}/{name}\0".encode())
                    digest.update((package / folder / name).read_bytes())
    return digest.hexdigest()


def _yaml_version() -> str:
    import yaml

    return str(getattr(yaml, "__version__", "?"))
