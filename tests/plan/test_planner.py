"""The planner, a pure function: every action, flag and report, without a network."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from reconciler.contract import parse
from reconciler.plan import Action, ChangeClass, Plan, PlanSettings
from reconciler.plan.model import DriftCause, WarningCode
from reconciler.plan.vocabulary import ChangeKind
from reconciler.render.words import change_words, drift_words, warning_words
from reconciler.state import PendingVerification
from tests.plan.support import (
    CUSTOMERS,
    EVENTS,
    ORDERS,
    contract,
    desired_of,
    plan_of,
    record,
    remote,
    state_of,
    stub,
    version,
)


def only(plan: Plan, dataset: str):  # type: ignore[no-untyped-def]
    matches = [d for d in plan.datasets if d.dataset == dataset]
    assert len(matches) == 1
    return matches[0]


def test_a_file_without_a_contract_is_created_and_verified(tmp_path: Path) -> None:
    plan = plan_of(desired_of(tmp_path, {ORDERS: contract(ORDERS)}))
    entry = only(plan, ORDERS)
    assert entry.action is Action.CREATE
    assert entry.verify
    assert entry.change_class is not None
    assert entry.changes
    assert entry.diff is not None
    assert f"+dataset: {ORDERS}" in entry.diff
    assert plan.summary().create == 1


def test_a_stub_without_a_contract_asks_for_a_skeleton(tmp_path: Path) -> None:
    entry = only(plan_of(desired_of(tmp_path, {EVENTS: stub(EVENTS)})), EVENTS)
    assert entry.action is Action.GENERATE_SKELETON
    assert not entry.verify


def test_a_stub_whose_contract_exists_gets_that_contract_written_in(tmp_path: Path) -> None:
    # An earlier apply asked for the skeleton and stopped before writing it back, or someone
    # made the contract in Soda Cloud: only the write-back is left.
    desired = desired_of(tmp_path, {EVENTS: stub(EVENTS)})
    entry = only(plan_of(desired, {EVENTS: remote(EVENTS, contract(EVENTS))}), EVENTS)
    assert entry.action is Action.GENERATE_SKELETON
    assert entry.remote is not None
    assert entry.changes[0].kind is ChangeKind.STUB_WRITE_BACK
    assert "nothing changes in Soda Cloud" in change_words(entry.changes[0])


def test_identical_text_is_adopted_once_then_unchanged(tmp_path: Path) -> None:
    text = contract(CUSTOMERS)
    desired = desired_of(tmp_path, {CUSTOMERS: text})
    adopted = only(plan_of(desired, {CUSTOMERS: remote(CUSTOMERS, text)}), CUSTOMERS)
    assert adopted.action is Action.ADOPT
    assert not adopted.verify
    known = state_of({CUSTOMERS: record(CUSTOMERS, text)})
    plan = plan_of(desired, {CUSTOMERS: remote(CUSTOMERS, text)}, known)
    assert only(plan, CUSTOMERS).action is Action.NOOP
    assert not plan.summary().has_changes


def test_a_formatting_only_edit_is_published_without_verification(tmp_path: Path) -> None:
    text = contract(CUSTOMERS, comment="# owned by the data team\n")
    desired = desired_of(tmp_path, {CUSTOMERS: text})
    state = state_of({CUSTOMERS: record(CUSTOMERS, contract(CUSTOMERS))})
    entry = only(
        plan_of(desired, {CUSTOMERS: remote(CUSTOMERS, contract(CUSTOMERS))}, state), CUSTOMERS
    )
    assert entry.action is Action.PUBLISH
    assert entry.change_class is ChangeClass.FORMAT_ONLY
    assert not entry.verify
    assert entry.drift is None


def test_a_looser_threshold_is_a_relaxed_publish_that_is_verified(tmp_path: Path) -> None:
    desired = desired_of(
        tmp_path, {CUSTOMERS: contract(CUSTOMERS, threshold="must_be_less_than: 5")}
    )
    state = state_of({CUSTOMERS: record(CUSTOMERS, contract(CUSTOMERS))})
    entry = only(
        plan_of(desired, {CUSTOMERS: remote(CUSTOMERS, contract(CUSTOMERS))}, state), CUSTOMERS
    )
    assert entry.action is Action.PUBLISH
    assert entry.change_class is ChangeClass.RELAXED
    assert entry.verify
    assert any("must_be_less_than 5" in change_words(c) for c in entry.changes)
    assert entry.diff is not None
    assert "-            must_be: 0" in entry.diff
    assert "+            must_be_less_than: 5" in entry.diff


def test_a_removed_column_is_breaking(tmp_path: Path) -> None:
    desired = desired_of(tmp_path, {CUSTOMERS: contract(CUSTOMERS)})
    cloud = contract(CUSTOMERS, extra_column=True)
    state = state_of({CUSTOMERS: record(CUSTOMERS, cloud)})
    plan = plan_of(desired, {CUSTOMERS: remote(CUSTOMERS, cloud)}, state)
    assert only(plan, CUSTOMERS).change_class is ChangeClass.BREAKING
    assert plan.summary().breaking == 1
    assert "breaking" in plan.classes_present()


def test_a_change_made_in_soda_cloud_is_flagged_as_drift_with_who_and_when(tmp_path: Path) -> None:
    text = contract(CUSTOMERS)
    desired = desired_of(tmp_path, {CUSTOMERS: text})
    state = state_of({CUSTOMERS: record(CUSTOMERS, text, last_updated="2026-01-01T10:00:00.000Z")})
    edited = remote(
        CUSTOMERS,
        contract(CUSTOMERS, threshold="must_be_less_than: 9"),
        last_updated="2026-01-02T10:02:00.000Z",
    )
    plan = plan_of(
        desired, {CUSTOMERS: edited}, state, newer={CUSTOMERS: (version(2), version(1, "bob"))}
    )
    entry = only(plan, CUSTOMERS)
    assert entry.action is Action.PUBLISH
    assert entry.drift is not None
    assert [v.creator_id for v in entry.drift.newer_versions] == ["jane@example.com", "bob"]
    assert entry.change_class is ChangeClass.TIGHTENED  # git is stricter than what Cloud now has
    assert plan.summary().drift == 1
    assert "drift" in plan.classes_present()
    assert entry.remote is not None
    assert entry.remote.version_id == "v2"


def test_a_contract_deleted_in_soda_cloud_is_created_again_and_flagged(tmp_path: Path) -> None:
    text = contract(CUSTOMERS)
    desired = desired_of(tmp_path, {CUSTOMERS: text})
    entry = only(plan_of(desired, {}, state_of({CUSTOMERS: record(CUSTOMERS, text)})), CUSTOMERS)
    assert entry.action is Action.CREATE
    assert entry.drift is not None
    assert entry.drift.cause is DriftCause.GONE
    assert "no longer in Soda Cloud" in drift_words(entry.drift)


def test_unmanaged_and_orphaned_contracts_are_reported_never_acted_on(tmp_path: Path) -> None:
    desired = desired_of(tmp_path, {CUSTOMERS: contract(CUSTOMERS)})
    remotes = {
        CUSTOMERS: remote(CUSTOMERS, contract(CUSTOMERS)),
        ORDERS: remote(ORDERS, contract(ORDERS)),
        EVENTS: remote(EVENTS, contract(EVENTS)),
    }
    state = state_of(
        {
            CUSTOMERS: record(CUSTOMERS, contract(CUSTOMERS)),
            EVENTS: record(EVENTS, contract(EVENTS)),
        }
    )
    plan = plan_of(desired, remotes, state)
    assert [d.dataset for d in plan.datasets] == [CUSTOMERS]
    assert [u.dataset for u in plan.unmanaged] == [ORDERS]
    assert [(o.dataset, o.in_cloud) for o in plan.orphaned] == [(EVENTS, True)]


def test_targets_and_excludes_select_datasets_and_reports(tmp_path: Path) -> None:
    desired = desired_of(
        tmp_path,
        {CUSTOMERS: contract(CUSTOMERS), ORDERS: contract(ORDERS), EVENTS: contract(EVENTS)},
    )
    remotes = {
        "warehouse/x/y/unmanaged": remote(
            "warehouse/x/y/unmanaged", "dataset: warehouse/x/y/unmanaged\ncolumns: []\n"
        )
    }
    plan = plan_of(
        desired, remotes, settings=PlanSettings(targets=("warehouse/**",), excludes=("**/orders",))
    )
    assert [d.dataset for d in plan.datasets] == [CUSTOMERS]
    assert [u.dataset for u in plan.unmanaged] == ["warehouse/x/y/unmanaged"]
    assert set(plan.files_seen) == {CUSTOMERS}
    lakehouse = plan_of(desired, remotes, settings=PlanSettings(targets=("lakehouse/**",)))
    assert [d.dataset for d in lakehouse.datasets] == [EVENTS]
    assert lakehouse.unmanaged == ()


def test_verify_modes(tmp_path: Path) -> None:
    text = contract(CUSTOMERS)
    desired = desired_of(tmp_path, {CUSTOMERS: text, ORDERS: contract(ORDERS)})
    remotes = {CUSTOMERS: remote(CUSTOMERS, text)}
    state = state_of({CUSTOMERS: record(CUSTOMERS, text)})
    everything = plan_of(desired, remotes, state, settings=PlanSettings(verify="all"))
    assert [(d.dataset, d.action, d.verify) for d in everything.datasets] == [
        (ORDERS, Action.CREATE, True),
        (CUSTOMERS, Action.NOOP, True),
    ] or [(d.dataset, d.action, d.verify) for d in everything.datasets] == [
        (CUSTOMERS, Action.NOOP, True),
        (ORDERS, Action.CREATE, True),
    ]
    nothing = plan_of(desired, remotes, state, settings=PlanSettings(verify="none"))
    assert not any(d.verify for d in nothing.datasets)


def test_a_verification_left_pending_by_a_killed_apply_is_resumed(tmp_path: Path) -> None:
    text = contract(CUSTOMERS)
    desired = desired_of(tmp_path, {CUSTOMERS: text})
    file_sha = desired.contracts[CUSTOMERS].raw_sha256
    pending = PendingVerification(
        raw_sha256=file_sha, scan_id="scan-7", since=datetime(2026, 1, 1, tzinfo=timezone.utc)
    )
    state = state_of({CUSTOMERS: record(CUSTOMERS, text)}, {CUSTOMERS: pending})
    entry = only(plan_of(desired, {CUSTOMERS: remote(CUSTOMERS, text)}, state), CUSTOMERS)
    assert entry.action is Action.NOOP
    assert entry.verify
    assert entry.resume_scan_id == "scan-7"
    # A pending verification of another version of the file is not resumed.
    stale = pending.model_copy(update={"raw_sha256": "0" * 64})
    other = only(
        plan_of(
            desired,
            {CUSTOMERS: remote(CUSTOMERS, text)},
            state_of({CUSTOMERS: record(CUSTOMERS, text)}, {CUSTOMERS: stale}),
        ),
        CUSTOMERS,
    )
    assert not other.verify


def test_a_crash_after_create_adopts_and_still_verifies(tmp_path: Path) -> None:
    text = contract(ORDERS)
    desired = desired_of(tmp_path, {ORDERS: text})
    pending = PendingVerification(
        raw_sha256=desired.contracts[ORDERS].raw_sha256,
        since=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    entry = only(
        plan_of(desired, {ORDERS: remote(ORDERS, text)}, state_of({}, {ORDERS: pending})), ORDERS
    )
    assert entry.action is Action.ADOPT
    assert entry.verify
    assert entry.resume_scan_id is None


def test_a_saved_plan_round_trips_through_json(tmp_path: Path) -> None:
    desired = desired_of(
        tmp_path,
        {
            CUSTOMERS: contract(CUSTOMERS, threshold="must_be_less_than: 5"),
            ORDERS: contract(ORDERS),
        },
    )
    state = state_of({CUSTOMERS: record(CUSTOMERS, contract(CUSTOMERS))})
    plan = plan_of(desired, {CUSTOMERS: remote(CUSTOMERS, contract(CUSTOMERS))}, state)
    assert Plan.model_validate_json(plan.model_dump_json()) == plan
    assert plan.state.lineage == state.lineage  # serial 3: a saved state
    assert plan.state.serial == state.serial
    assert plan.remote_seen[CUSTOMERS].last_updated == "2026-01-01T10:00:00.000Z"
    assert plan.files_seen[ORDERS] == desired.contracts[ORDERS].raw_sha256


def test_path_mismatch_warnings_are_carried_into_the_plan(tmp_path: Path) -> None:
    (tmp_path / "misplaced.yml").write_text(contract(ORDERS))
    from reconciler.desired import load_desired

    plan = plan_of(load_desired(tmp_path))
    [warning] = plan.warnings
    assert (warning.code, warning.rule) == (WarningCode.FILE, "path-mismatch")
    assert warning.file == f"{tmp_path.as_posix()}/misplaced.yml"
    assert f"misplaced.yml:{warning.line}:{warning.col}: the file path does not mirror" in (
        warning_words(warning)
    )


def test_soda_clouds_text_is_read_for_the_diff_and_never_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The diff needs Soda Cloud's document, not a model of it: building one per contract was
    # half of a plan in which everything changed. A text that breaks the language's rules
    # (an unknown key, a threshold that is text) is still compared key by key.
    desired = desired_of(tmp_path, {CUSTOMERS: contract(CUSTOMERS)})
    cloud = contract(CUSTOMERS, threshold="must_be: none") + "owner: data-team\n"
    built: list[object] = []
    real = parse.validated_model

    def counted(document: Any, supplied: Any = None) -> Any:
        built.append(document)
        return real(document, supplied)

    monkeypatch.setattr(parse, "validated_model", counted)
    entry = only(plan_of(desired, {CUSTOMERS: remote(CUSTOMERS, cloud)}), CUSTOMERS)
    assert built == []
    assert entry.action is Action.PUBLISH
    worded = [change_words(c) for c in entry.changes]
    assert any("owner" in words for words in worded), worded
    assert any("must_be 0" in words for words in worded), worded
