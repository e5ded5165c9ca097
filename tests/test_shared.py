"""Tests that read ../shared skip on a plain clone, naming what is missing, and run (to fail
on it) when CI says ../shared must be there."""

from __future__ import annotations

import pytest

from tests.shared import REQUIRED_ENV, SHARED, corpus_files, missing_reason


def test_a_missing_shared_file_is_named_in_the_skip_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(REQUIRED_ENV, raising=False)
    reason = missing_reason(SHARED / "api" / "no-such-document.json")
    assert reason is not None
    assert "../shared/api/no-such-document.json" in reason


def test_when_shared_is_required_nothing_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRED_ENV, "1")
    assert missing_reason(SHARED / "api" / "no-such-document.json") is None
    [parameter] = corpus_files("no-such-kind")
    assert not parameter.marks  # it runs, and fails on the missing folder


def test_a_missing_corpus_is_one_skipped_parameter_that_names_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(REQUIRED_ENV, raising=False)
    [parameter] = corpus_files("no-such-kind")
    [mark] = parameter.marks
    assert mark.name == "skip"
    assert "../shared/corpus/real-contracts/no-such-kind" in mark.kwargs["reason"]
