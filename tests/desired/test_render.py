"""The renderers of validation diagnostics, as pure functions."""

from __future__ import annotations

from pathlib import Path

from reconciler.contract import Diagnostic
from reconciler.desired import DesiredState
from reconciler.render.diagnostics import github_annotation, render_text, summary_line


def test_summary_line_counts_in_words() -> None:
    assert summary_line(2, 1, 12) == "2 errors and 1 warning in 12 files"
    assert summary_line(1, 0, 1) == "1 error and 0 warnings in 1 file"


def test_github_annotations_escape_data_and_properties() -> None:
    diagnostic = Diagnostic(
        "c/a:b,c.yml", 3, 4, "warning", "path-mismatch", "50% off\r\nnext", "line1\nline2"
    )
    assert github_annotation(diagnostic) == (
        "::warning file=c/a%3Ab%2Cc.yml,line=3,col=4,title=path-mismatch::"
        "50%25 off%0D%0Anext%0Ahint: line1%0Aline2"
    )


def test_text_puts_the_hint_under_its_diagnostic() -> None:
    state = DesiredState(
        Path("c"),
        {},
        [
            Diagnostic(
                "c/x.yml", 1, 2, "error", "unknown-key", "unknown key 'a'", "did you mean 'b'?"
            )
        ],
        1,
    )
    assert render_text(state) == (
        "c/x.yml:1:2: error: unknown key 'a' [unknown-key]\n"
        "  hint: did you mean 'b'?\n"
        "1 error and 0 warnings in 1 file\n"
    )
