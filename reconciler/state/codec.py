"""The state file's bytes: one writer and one reader, both pure.

The written form is canonical so the file diffs well in git: keys sorted, two-space indent,
UTF-8 without escaping, a trailing newline. It is produced by pydantic's serializer (in Rust,
several times faster than ``json.dumps(indent=...)`` on a 10,000-dataset state), which keeps
declaration order; that is why every model declares its fields alphabetically, checked below.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.errors import StateCorrupt, StateError
from reconciler.state.changes import Change, JournalLine
from reconciler.state.model import (
    FORMAT_VERSION,
    OLDEST_FORMAT_VERSION,
    DatasetRecord,
    PendingVerification,
    StateFile,
    StateProject,
    Verification,
)


def _require_sorted_fields(*models: type[BaseModel]) -> None:
    for model in models:
        names = list(model.model_fields)
        if names != sorted(names):
            raise TypeError(f"{model.__name__} must declare its fields in alphabetical order")


_require_sorted_fields(
    StateFile, DatasetRecord, PendingVerification, StateProject, Verification, Change, JournalLine
)


def encode(state: StateFile) -> bytes:
    """The canonical bytes of a state, always in the current format version."""
    if any(a > b for a, b in itertools.pairwise(state.datasets)):
        state = state.with_datasets(dict(sorted(state.datasets.items())))
    if any(a > b for a, b in itertools.pairwise(state.pending)):
        state = state.model_copy(update={"pending": dict(sorted(state.pending.items()))})
    if state.format_version != FORMAT_VERSION:
        state = state.model_copy(update={"format_version": FORMAT_VERSION})
    return state.model_dump_json(indent=2).encode("utf-8") + b"\n"


def decode(data: bytes, *, source: str) -> StateFile:
    """Read a state from its bytes; ``source`` names the file in error messages.

    Raises :class:`StateCorrupt` saying what is wrong and where, or :class:`StateError` when a
    newer reconciler wrote the file. A file of an older format version is read as it is
    (format version 1 lacks only ``project``) and written in the current one.
    """
    try:
        return StateFile.model_validate_json(data)
    except ValidationError as error:
        # The fast path failed: find the most useful thing to say, slowly.
        raise _diagnose(data, source, error) from None


def _diagnose(data: bytes, source: str, error: ValidationError) -> StateError:
    if not data.strip():
        return StateCorrupt(f"{source}: the state file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        return StateCorrupt(f"{source}: the state file is not UTF-8 text (byte {bad.start})")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as bad:
        return StateCorrupt(
            f"{source}:{bad.lineno}:{bad.colno}: the state file is not valid JSON ({bad.msg})"
        )
    if not isinstance(document, dict):
        return StateCorrupt(f"{source}: the state file must hold a JSON object")
    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        return StateCorrupt(f"{source}: the state file has no integer 'format_version'")
    if version > FORMAT_VERSION:
        return StateError(
            f"{source}: the state file was made by a newer reconciler (format_version "
            f"{version}; this reconciler reads format_version {FORMAT_VERSION})",
            hint="Upgrade the reconciler to the version that wrote this state file.",
        )
    if version < OLDEST_FORMAT_VERSION:
        return StateCorrupt(f"{source}: unknown state format_version {version}")
    return StateCorrupt(_describe_invalid(text, source, error))


def _describe_invalid(text: str, source: str, error: ValidationError) -> str:
    problems = error.errors()
    first = problems[0]
    loc = first["loc"]
    where = source
    if len(loc) >= 2 and loc[0] == "datasets":
        line = _line_of(text, json.dumps(loc[1], ensure_ascii=False) + ":")
        if line:
            where = f"{source}:{line}"
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    value = _short(first.get("input")) if first["type"] != "missing" else None
    shown = f" (found {value})" if value is not None else ""
    return f"{where}: {_path(loc)}: {first['msg']}{shown}{more}"


def _path(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return "(top level)"
    return ".".join(
        str(part)
        if isinstance(part, int) or part.isidentifier()
        else json.dumps(part, ensure_ascii=False)
        for part in loc
    )


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def _short(value: Any) -> str | None:
    if isinstance(value, (dict, list)):
        return None
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 60 else shown[:57] + "..."
