"""Pull-request comments written as files, for a workflow to post one by one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reconciler.files import write_text

COMMENT_FILES = "comment-*.md"


def comment_name(number: int) -> str:
    return f"comment-{number:03d}.md"


def write_comments(folder: Path, parts: Sequence[str]) -> None:
    """``parts`` as ``folder``/comment-001.md, comment-002.md, ... (each atomically, never
    through a link); comment files of an earlier run beyond them are removed, so that the
    folder holds exactly these comments."""
    names = [comment_name(number) for number in range(1, len(parts) + 1)]
    for name, text in zip(names, parts, strict=True):
        write_text(folder / name, text)
    for stale in sorted(folder.glob(COMMENT_FILES)):
        if stale.name not in names and stale.is_file() and not stale.is_symlink():
            stale.unlink()
