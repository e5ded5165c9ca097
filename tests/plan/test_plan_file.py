"""The saved plan's file: a digest of its own content, checked when it is read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.errors import PlanError
from reconciler.plan.file import load_saved_plan, plan_digest

EXAMPLE = Path(__file__).resolve().parents[2] / "plan-examples" / "plan.json"


def test_the_example_plan_is_a_plan_file_as_the_reconciler_writes_it() -> None:
    saved = load_saved_plan(EXAMPLE)
    assert not saved.edited
    assert saved.plan.datasets


def test_the_digest_is_of_the_content_not_of_its_formatting(tmp_path: Path) -> None:
    document = json.loads(EXAMPLE.read_text())
    reformatted = tmp_path / "plan.json"
    reformatted.write_text(json.dumps(document, sort_keys=True, separators=(",", ":")))
    assert not load_saved_plan(reformatted).edited
    document["created"] = "2026-01-02T00:00:00Z"
    assert plan_digest(document) != document["digest"]
    reformatted.write_text(json.dumps(document))
    assert load_saved_plan(reformatted).edited


def test_an_edit_that_breaks_the_plan_says_it_was_edited_too(tmp_path: Path) -> None:
    document = json.loads(EXAMPLE.read_text())
    document["datasets"][0]["action"] = "delete"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    with pytest.raises(PlanError, match=r"not a valid saved plan .*edited by hand"):
        load_saved_plan(path)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[1]", "not a JSON object"),
        ("{", "not JSON"),
        ('{"format_version": 5}', "format_version 5; this reconciler reads format_version 4"),
        ('{"format_version": 3}', "format_version 3, made by an older reconciler"),
        ('{"format_version": 2}', "format_version 2, made by an older reconciler"),
        ('{"format_version": 1}', "format_version 1, made by an older reconciler"),
    ],
)
def test_what_is_no_saved_plan_of_this_format_is_refused(
    tmp_path: Path, text: str, says: str
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(text)
    with pytest.raises(PlanError, match=says):
        load_saved_plan(path)
