"""The apply report: what was resolved inside the run and which failures a re-run cures are
data on each outcome; the renderers word them."""

from __future__ import annotations

import json

from reconciler.apply.result import ApplyResult, DatasetOutcome, Done, DoneStep, Recovery, Status
from reconciler.plan import Action
from reconciler.render.apply import render_json, render_markdown, render_text

RESUMES = "Re-running `reconciler apply` resumes"
FIX_FIRST = "failed for a reason a re-run meets again"


def result_of(*outcomes: DatasetOutcome, interrupted: bool = False) -> ApplyResult:
    return ApplyResult(
        started="2026-01-01T00:00:00Z",
        finished="2026-01-01T00:01:00Z",
        cloud_host="cloud.soda.io",
        plan_created="2026-01-01T00:00:00Z",
        datasets=outcomes,
        interrupted=interrupted,
    )


def verified(dataset: str, *recoveries: Recovery) -> DatasetOutcome:
    return DatasetOutcome(
        dataset=dataset,
        action=Action.PUBLISH,
        status=Status.APPLIED,
        done=(Done(step=DoneStep.PUBLISHED), Done(step=DoneStep.VERIFIED, state="completed")),
        recoveries=recoveries,
    )


def failed(dataset: str, *, needs_fix: bool) -> DatasetOutcome:
    return DatasetOutcome(
        dataset=dataset,
        action=Action.CREATE,
        status=Status.FAILED,
        error="Soda Cloud answered 404",
        hint="check the name",
        needs_fix=needs_fix,
    )


def test_a_repeated_verification_is_worded_by_every_renderer() -> None:
    result = result_of(verified("w/a/b", Recovery.VERIFY_REPEATED, Recovery.PUBLISH_LANDED))
    text, markdown = render_text(result), render_markdown(result)
    for output in (text, markdown):
        assert "verification repeated after a lost answer" in output
        assert "the version had landed" in output
    document = json.loads(render_json(result))
    assert document["datasets"][0]["recoveries"] == ["verification-repeated", "publish-landed"]
    assert "repeated" not in render_text(result_of(verified("w/a/b")))
    assert "published, verified: completed (verification repeated" in text
    assert document["datasets"][0]["done"] == [
        {"step": "published", "path": None, "state": None},
        {"step": "verified", "path": None, "state": "completed"},
    ]


def test_failures_a_rerun_cannot_cure_are_never_promised_to_one() -> None:
    text = render_text(result_of(verified("w/a/b"), failed("w/a/c", needs_fix=True)))
    assert RESUMES not in text
    assert f"1 dataset {FIX_FIRST}" in text
    assert json.loads(render_json(result_of(failed("w/a/c", needs_fix=True))))["datasets"][0][
        "needs_fix"
    ]


def test_a_curable_failure_beside_one_to_fix_gets_both_answers() -> None:
    text = render_markdown(
        result_of(
            failed("w/a/c", needs_fix=True),
            failed("w/a/d", needs_fix=True),
            failed("w/a/e", needs_fix=False),
        )
    )
    assert RESUMES in text
    assert f"2 datasets {FIX_FIRST}" in text


def test_an_interrupted_apply_always_resumes() -> None:
    text = render_text(result_of(failed("w/a/c", needs_fix=True), interrupted=True))
    assert RESUMES in text
