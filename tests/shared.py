"""Files the tests may read from ``../shared`` beside the repository (the real-contracts
corpus, Soda's OpenAPI documents), never copied into the project.

On a plain clone nothing is beside it: every test that needs one of these skips, with a
reason naming what is missing. With ``RECONCILER_TESTS_NEED_SHARED=1`` (``.ci/run`` sets it
when ``../shared`` is present) nothing skips: a test whose file is missing runs and fails on
it, so these tests cannot silently vanish in CI.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus" / "real-contracts"
API = SHARED / "api"
REQUIRED_ENV = "RECONCILER_TESTS_NEED_SHARED"


def required() -> bool:
    return os.environ.get(REQUIRED_ENV, "") not in ("", "0")


def missing_reason(*paths: Path) -> str | None:
    """Why a test that reads ``paths`` cannot run here; None when it can (or must)."""
    missing = [_shown(path) for path in paths if not path.exists()]
    if not missing or required():
        return None
    where = "no ../shared beside the repository" if not SHARED.is_dir() else "not in ../shared"
    return f"needs {', '.join(missing)}: missing ({where})"


def needs(*paths: Path) -> pytest.MarkDecorator:
    """Skip the test (or module, as ``pytestmark``) when any of ``paths`` is missing."""
    reason = missing_reason(*paths)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


def corpus_files(kind: str) -> list[Any]:
    """The corpus's ``kind`` (valid/invalid) files as parameters, one per file; when the
    folder is missing or empty, one skipped parameter that says so (never an empty set,
    which pytest would skip without naming the corpus)."""
    folder = CORPUS / kind
    files = sorted(folder.glob("*.yml"))
    if files:
        return [pytest.param(path, id=path.name) for path in files]
    reason = missing_reason(folder) or (
        None if required() else f"needs the .yml files of {_shown(folder)}; it holds none"
    )
    marks = [pytest.mark.skip(reason=reason)] if reason else []
    # Required but absent: the test runs on the missing folder and fails on it.
    return [pytest.param(folder / "(no corpus files)", id="missing-corpus", marks=marks)]


def _shown(path: Path) -> str:
    return "../shared/" + path.relative_to(SHARED).as_posix()
