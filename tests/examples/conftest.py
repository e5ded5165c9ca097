"""``workspace``: a fresh copy of the example project, made the current directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.tour import prepare_workspace


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = prepare_workspace(tmp_path / "project")
    monkeypatch.chdir(copy)
    return copy
