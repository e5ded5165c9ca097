"""Write contract folders for tests."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def contract(dataset: str, *, column: str = "id") -> str:
    return f"dataset: {dataset}\ncolumns:\n  - name: {column}\n    checks:\n      - missing:\n"
