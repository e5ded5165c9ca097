"""The audit as a pure function and its renderers: no network, no clock."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from reconciler.audit import (
    AuditContext,
    AuditReport,
    AuditSettings,
    Category,
    Counts,
    Reason,
    audit_status,
    make_audit,
)
from reconciler.cloud.dto import Contract, ContractVersion, CoverageDataset, Incident
from reconciler.contract import raw_sha256
from reconciler.desired import DesiredState, load_desired
from reconciler.observed import NotRead, ObservedState, ReportingData
from reconciler.plan import ChangeClass
from reconciler.render.audit import render_json, render_markdown, render_text
from reconciler.render.words import audit_detail, audit_remedy, not_compared_words
from reconciler.state import DatasetRecord, StateFile
from tests.audit.support import CUSTOMERS, EVENTS, ORDERS, SESSIONS, contract

RECORDED = "2026-03-01T12:00:00.000Z"
MOVED = "2026-03-02T09:15:00.000Z"
CLOUD_URL = "https://cloud.soda.io"
CONTEXT = AuditContext(
    created="2026-03-03T02:00:00Z",
    reconciler_version="0.1.0",
    contracts_dir="contracts",
    cloud_host="cloud.soda.io",
    cloud_url=CLOUD_URL,
    state_path=".reconciler/state.json",
)


def folder(tmp_path: Path, files: dict[str, str]) -> DesiredState:
    for dataset, text in files.items():
        path = tmp_path / f"{dataset}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return load_desired(tmp_path)


def remote(dataset: str, text: str, n: int, last_updated: str = RECORDED) -> Contract:
    return Contract(
        id=f"contract-{n}",
        datasetId=f"dataset-{n}",
        datasetQualifiedName=dataset,
        contents=text,
        lastUpdated=last_updated,
    )


def record(text: str, n: int, last_updated: str = RECORDED) -> DatasetRecord:
    return DatasetRecord(
        applied_at=datetime(2026, 3, 1, 12, tzinfo=timezone.utc),
        contract_id=f"contract-{n}",
        dataset_id=f"dataset-{n}",
        last_updated=last_updated,
        raw_sha256=raw_sha256(text),
        semantic_fingerprint="-",
        version_id=f"version-{n}",
    )


def state_of(**records: DatasetRecord) -> StateFile:
    state = StateFile.new()
    for key, value in records.items():
        state = state.with_record(NAMES[key], value)
    return state


NAMES = {"customers": CUSTOMERS, "orders": ORDERS, "events": EVENTS, "sessions": SESSIONS}
BASE = contract(CUSTOMERS, "id:integer", "email:varchar")
TIGHTER = contract(CUSTOMERS, "id:integer", "email:varchar", checks="missing")


def audit(
    desired: DesiredState,
    contracts: list[Contract],
    state: StateFile,
    reporting: ReportingData | None = None,
    newer: dict[str, tuple[ContractVersion, ...]] | None = None,
    settings: AuditSettings | None = None,
) -> AuditReport:
    observed = ObservedState(
        contracts={c.dataset_qualified_name or "": c for c in contracts},
        newer_versions=newer or {},
    )
    context = CONTEXT if settings is None else dataclasses.replace(CONTEXT, settings=settings)
    return make_audit(
        desired,
        observed,
        state,
        reporting or ReportingData.not_read(NotRead.NOT_REQUESTED),
        context=context,
    )


def test_equal_text_is_in_sync_and_exits_0(tmp_path: Path) -> None:
    report = audit(
        folder(tmp_path, {CUSTOMERS: BASE}),
        [remote(CUSTOMERS, BASE, 1)],
        state_of(customers=record(BASE, 1)),
    )
    assert (report.status, report.exit_code) == ("in-sync", 0)
    assert report.datasets == ()
    assert report.summary.in_sync == 1
    assert report.summary.contracts == (1, 1)
    assert report.summary.exclusives == (0, 0)


def test_a_contract_changed_in_cloud_since_the_apply_is_drift_with_who_when_and_diff(
    tmp_path: Path,
) -> None:
    versions = (
        ContractVersion(id="v3", created=MOVED, creatorId="bob@example.com", contents=TIGHTER),
        ContractVersion(id="v2", created="2026-03-02T08:00:00.000Z", creatorId="alice@example.com"),
    )
    report = audit(
        folder(tmp_path, {CUSTOMERS: BASE}),
        [remote(CUSTOMERS, TIGHTER, 1, last_updated=MOVED)],
        state_of(customers=record(BASE, 1)),
        newer={CUSTOMERS: versions},
    )
    assert (report.status, report.exit_code) == ("drift", 4)
    (entry,) = report.datasets
    assert entry.category is Category.DRIFTED
    assert entry.changed_by == ("alice@example.com", "bob@example.com")
    assert [(v.version_id, v.created) for v in entry.newer_versions] == [
        ("v3", MOVED),
        ("v2", "2026-03-02T08:00:00.000Z"),
    ]
    assert "2 versions by alice@example.com, bob@example.com, latest at " + MOVED in audit_detail(
        entry
    )
    assert entry.recorded_last_updated == RECORDED
    assert entry.last_updated == MOVED
    # Cloud -> git: applying git's version removes the check someone added in the UI.
    assert entry.change_class is ChangeClass.BREAKING
    assert entry.diff is not None
    assert f"--- soda-cloud/{CUSTOMERS}" in entry.diff
    assert "-    checks:\n" in entry.diff


def test_a_contract_replaced_in_cloud_under_a_new_id_is_drift(tmp_path: Path) -> None:
    report = audit(
        folder(tmp_path, {CUSTOMERS: BASE}),
        [remote(CUSTOMERS, TIGHTER, 9)],
        state_of(customers=record(BASE, 1)),
    )
    (entry,) = report.datasets
    assert entry.category is Category.DRIFTED
    assert entry.reason is Reason.REPLACED
    assert (entry.recorded_contract_id, entry.contract_id) == ("contract-1", "contract-9")
    assert "replaced" in audit_detail(entry)
    assert "contract-1" in audit_detail(entry)
    assert "contract-9" in audit_detail(entry)


def test_a_change_in_cloud_back_to_what_git_has_is_in_sync(tmp_path: Path) -> None:
    report = audit(
        folder(tmp_path, {CUSTOMERS: BASE}),
        [remote(CUSTOMERS, BASE, 1, last_updated=MOVED)],
        state_of(customers=record(BASE, 1)),
    )
    assert report.exit_code == 0
    assert report.summary.in_sync == 1


def test_git_ahead_of_an_unmoved_cloud_is_pending_and_exits_2(tmp_path: Path) -> None:
    report = audit(
        folder(tmp_path, {CUSTOMERS: TIGHTER}),
        [remote(CUSTOMERS, BASE, 1)],
        state_of(customers=record(BASE, 1)),
    )
    assert (report.status, report.exit_code) == ("pending", 2)
    (entry,) = report.datasets
    assert entry.category is Category.PENDING
    assert entry.change_class is ChangeClass.TIGHTENED
    assert entry.newer_versions == ()
    assert entry.diff is not None
    assert "+    checks:\n" in entry.diff


def test_new_files_and_stubs_are_pending(tmp_path: Path) -> None:
    desired = folder(
        tmp_path,
        {
            ORDERS: contract(ORDERS),
            SESSIONS: f"dataset: {SESSIONS}\n",
            CUSTOMERS: f"dataset: {CUSTOMERS}\n",
        },
    )
    report = audit(desired, [remote(CUSTOMERS, BASE, 1)], StateFile.new())
    pending = {e.dataset: e for e in report.in_category(Category.PENDING)}
    assert sorted(pending) == sorted([CUSTOMERS, ORDERS, SESSIONS])
    assert "not in Soda Cloud yet" in audit_detail(pending[ORDERS])
    assert "stub" in audit_detail(pending[SESSIONS])
    assert "generates a skeleton" in audit_remedy(pending[SESSIONS])
    assert "`reconciler apply` writes Soda Cloud's contract into" in audit_remedy(
        pending[CUSTOMERS]
    )
    assert report.exit_code == 2
    assert report.summary.exclusives == (2, 0)


def test_a_difference_without_a_state_record_is_read_as_pending_and_says_so(
    tmp_path: Path,
) -> None:
    report = audit(
        folder(tmp_path, {CUSTOMERS: TIGHTER}), [remote(CUSTOMERS, BASE, 1)], StateFile.new()
    )
    (entry,) = report.datasets
    assert entry.category is Category.PENDING
    assert "no record" in audit_detail(entry)


def test_a_recorded_contract_gone_from_cloud_is_missing_and_counts_as_drift(
    tmp_path: Path,
) -> None:
    report = audit(
        folder(tmp_path, {ORDERS: contract(ORDERS)}), [], state_of(orders=record("x", 2))
    )
    (entry,) = report.datasets
    assert entry.category is Category.MISSING
    assert entry.reason is Reason.CONTRACT_GONE
    assert "contract-2" in audit_detail(entry)
    assert (report.status, report.exit_code) == ("drift", 4)


def test_unmanaged_counts_as_drift_only_when_strict(tmp_path: Path) -> None:
    desired = folder(tmp_path, {})
    contracts = [remote(CUSTOMERS, BASE, 1)]
    relaxed = audit(desired, contracts, StateFile.new())
    strict = audit(desired, contracts, StateFile.new(), settings=AuditSettings(strict=True))
    assert [e.category for e in relaxed.datasets] == [Category.UNMANAGED]
    assert relaxed.exit_code == 0
    assert strict.exit_code == 4
    assert f"reconciler import {CUSTOMERS}" in audit_remedy(relaxed.datasets[0])


def test_orphaned_records_are_informational(tmp_path: Path) -> None:
    report = audit(
        folder(tmp_path, {}),
        [remote(CUSTOMERS, BASE, 1)],
        state_of(customers=record(BASE, 1), orders=record("x", 2)),
    )
    orphaned = {e.dataset: e for e in report.in_category(Category.ORPHANED)}
    assert sorted(orphaned) == [CUSTOMERS, ORDERS]
    assert orphaned[ORDERS].reason is Reason.FILE_AND_CONTRACT_GONE
    assert orphaned[CUSTOMERS].reason is Reason.FILE_DELETED
    assert "no longer in Soda Cloud" in audit_detail(orphaned[ORDERS])
    assert "no longer in Soda Cloud" not in audit_detail(orphaned[CUSTOMERS])
    assert report.exit_code == 0


@pytest.mark.parametrize(
    ("drifted", "missing", "pending", "unmanaged", "strict", "expected"),
    [
        (0, 0, 0, 0, False, ("in-sync", 0)),
        (0, 0, 3, 0, False, ("pending", 2)),
        (1, 0, 0, 0, False, ("drift", 4)),
        (0, 1, 0, 0, False, ("drift", 4)),
        (1, 0, 1, 0, False, ("pending-and-drift", 6)),
        (0, 0, 0, 2, False, ("in-sync", 0)),
        (0, 0, 0, 2, True, ("drift", 4)),
        (0, 0, 1, 2, True, ("pending-and-drift", 6)),
    ],
)
def test_exit_codes(
    drifted: int,
    missing: int,
    pending: int,
    unmanaged: int,
    strict: bool,
    expected: tuple[str, int],
) -> None:
    counts = Counts(
        contracts=(0, 0),
        exclusives=(0, 0),
        in_sync=0,
        drifted=drifted,
        pending=pending,
        missing=missing,
        unmanaged=unmanaged,
        orphaned=5,
        datasets_without_contract=7,
        unresolved_incidents=9,
    )
    assert audit_status(counts, strict=strict) == expected


def test_targets_and_excludes_narrow_every_category(tmp_path: Path) -> None:
    desired = folder(tmp_path, {ORDERS: contract(ORDERS), SESSIONS: contract(SESSIONS)})
    report = audit(
        desired,
        [remote(CUSTOMERS, BASE, 1)],
        StateFile.new(),
        settings=AuditSettings(targets=("warehouse/**",), excludes=("**/customers",)),
    )
    assert [e.dataset for e in report.datasets] == [ORDERS]
    assert report.summary.contracts == (1, 0)


def coverage_row(dataset: str, dataset_id: str) -> CoverageDataset:
    return CoverageDataset(
        dataset_id=dataset_id,
        dataset_name=dataset.rsplit("/", 1)[-1],
        dataset_label=dataset,
        datasource_name=dataset.split("/", 1)[0],
        owner_email="owner@example.com",
    )


def incident(n: int, dataset_id: str, **fields: str) -> Incident:
    values = {
        "incident_id": f"incident-{n}",
        "title": f"incident {n}",
        "severity": "major",
        "status": "reported",
        "dataset_id": dataset_id,
        "last_updated": "2026-03-02T00:00:00.000Z",
        **fields,
    }
    return Incident.model_validate(values)


def test_reporting_lists_datasets_without_contracts_and_incidents_on_managed_ones(
    tmp_path: Path,
) -> None:
    desired = folder(tmp_path, {CUSTOMERS: BASE, SESSIONS: contract(SESSIONS)})
    reporting = ReportingData(
        coverage_datasets=[
            coverage_row(CUSTOMERS, "dataset-1"),
            coverage_row(ORDERS, "dataset-2"),
            coverage_row(EVENTS, "dataset-3"),
            coverage_row(SESSIONS, "dataset-4"),  # a file in git, not applied yet
        ],
        incidents=[
            incident(1, "dataset-1", severity="minor", title="late data"),
            incident(
                1,
                "dataset-1",
                severity="minor",
                title="late data",
                last_updated="2026-03-01T00:00:00.000Z",
            ),  # an older report of the same
            incident(2, "dataset-1", severity="critical", title="<b>nulls</b> | in id"),
            incident(3, "dataset-1", status="resolved"),
            incident(4, "dataset-3", title="on a dataset nobody manages"),
        ],
    )
    report = audit(
        desired,
        [remote(CUSTOMERS, BASE, 1)],
        state_of(customers=record(BASE, 1)),
        reporting=reporting,
    )
    assert [d.name for d in report.coverage.without_contract] == [ORDERS, EVENTS]
    assert report.summary.datasets_without_contract == 2
    assert [(i.incident_id, i.severity) for i in report.incidents.unresolved] == [
        ("incident-2", "critical"),
        ("incident-1", "minor"),
    ]
    assert report.incidents.unresolved[0].url == f"{CLOUD_URL}/incidents/incident-2"
    assert report.incidents.unresolved[0].dataset == CUSTOMERS
    assert report.summary.unresolved_incidents == 2
    assert report.exit_code == 2  # the pending sessions file; reporting never sets it

    text = render_text(report)
    assert (
        f"  * [critical] {CUSTOMERS}: <b>nulls</b> | in id  {CLOUD_URL}/incidents/incident-2"
        in text
    )
    assert f"  o {ORDERS} (dataset id dataset-2, owner owner@example.com)" in text
    markdown = render_markdown(report)
    assert "&lt;b&gt;nulls&lt;/b&gt; \\| in id" in markdown
    assert "<b>" not in markdown
    assert f"](<{CLOUD_URL}/incidents/incident-2>)" in markdown


def test_reporting_not_read_is_not_compared_never_zero(tmp_path: Path) -> None:
    report = audit(
        folder(tmp_path, {CUSTOMERS: BASE}),
        [remote(CUSTOMERS, BASE, 1)],
        state_of(customers=record(BASE, 1)),
        reporting=ReportingData(
            coverage_gap=NotRead.FAILED, coverage_error="Soda Cloud answered 401"
        ),
    )
    assert report.summary.datasets_without_contract is None
    assert report.summary.unresolved_incidents is None
    assert report.coverage.not_compared is not None
    assert report.coverage.not_compared.cause is NotRead.FAILED
    assert "401" in not_compared_words(report.coverage.not_compared)
    assert report.incidents.not_compared is not None
    assert report.incidents.not_compared.cause is NotRead.NO_DATA_YET
    assert "no data yet" in not_compared_words(report.incidents.not_compared)
    text = render_text(report)
    assert (
        "  datasets without a contract  not compared: the Reporting API could not be read" in text
    )
    assert "  unresolved incidents         not compared: the Reporting API has no data yet" in text
    markdown = render_markdown(report)
    assert "| datasets without a contract | not compared |" in markdown
    assert "**Not compared** (this is not the same as none found)" in markdown
    as_json = json.loads(render_json(report))
    assert as_json["summary"]["datasets_without_contract"] is None
    assert as_json["summary"]["unresolved_incidents"] is None


def test_no_incidents_answer_counts_as_none_only_once_the_reporting_batch_exists(
    tmp_path: Path,
) -> None:
    desired = folder(tmp_path, {CUSTOMERS: BASE})
    contracts = [remote(CUSTOMERS, BASE, 1)]
    state = state_of(customers=record(BASE, 1))
    processed = audit(
        desired,
        contracts,
        state,
        reporting=ReportingData(coverage_datasets=[coverage_row(CUSTOMERS, "dataset-1")]),
    )
    assert processed.summary.unresolved_incidents == 0
    assert processed.summary.datasets_without_contract == 0
    nothing_yet = audit(desired, contracts, state, reporting=ReportingData())
    assert nothing_yet.summary.unresolved_incidents is None
    assert nothing_yet.summary.datasets_without_contract is None


def test_text_summary_reads_like_a_data_diff(tmp_path: Path) -> None:
    desired = folder(tmp_path, {CUSTOMERS: TIGHTER, ORDERS: contract(ORDERS)})
    report = audit(
        desired,
        [remote(CUSTOMERS, BASE, 1), remote(EVENTS, contract(EVENTS), 3)],
        state_of(customers=record(BASE, 1)),
    )
    lines = render_text(report).splitlines()
    assert "                               [git, cloud]" in lines
    assert "  contracts                    [2, 2]" in lines
    assert "  exclusives                   [1, 1]" in lines
    assert "  pending                      2" in lines
    assert "  unmanaged                    1" in lines
    assert lines[-1] == "Status: pending (git ahead of Soda Cloud) (exit 2)"


def test_markdown_stays_within_an_issue_body_and_says_what_it_left_out(tmp_path: Path) -> None:
    many = {
        f"warehouse/db/public/t{i:04d}": contract(f"warehouse/db/public/t{i:04d}")
        for i in range(300)
    }
    desired = folder(tmp_path, many)
    contracts = [
        remote(name, text.replace("integer", "bigint"), i, last_updated=MOVED)
        for i, (name, text) in enumerate(many.items())
    ]
    state = StateFile.new()
    for i, (name, text) in enumerate(many.items()):
        state = state.with_record(name, record(text, i))
    report = audit(desired, contracts, state)
    assert report.summary.drifted == 300
    markdown = render_markdown(report, limit=20_000)
    assert len(markdown) <= 20_000
    assert "| drifted | 300 |" in markdown
    assert "more sections left out" in markdown


def test_json_is_the_whole_report(tmp_path: Path) -> None:
    report = audit(
        folder(tmp_path, {CUSTOMERS: TIGHTER}),
        [remote(CUSTOMERS, BASE, 1)],
        state_of(customers=record(BASE, 1)),
    )
    data = json.loads(render_json(report))
    assert data["format_version"] == 2
    assert data["status"] == "pending"
    assert data["exit_code"] == 2
    assert data["summary"]["contracts"] == [1, 1]
    assert data["datasets"][0]["category"] == "pending"
    assert data["datasets"][0]["reason"] == "git-ahead"
    assert "detail" not in data["datasets"][0]
    assert data["datasets"][0]["diff"].startswith(f"--- soda-cloud/{CUSTOMERS}")
    assert AuditReport.model_validate(data) == report


def test_names_and_texts_from_soda_cloud_cannot_steer_a_terminal_or_an_issue(
    tmp_path: Path,
) -> None:
    hostile = "warehouse/x\x1b[2J\x1b[31m/evil\u202e"
    desired = folder(tmp_path, {CUSTOMERS: BASE})
    report = audit(
        desired,
        [
            remote(hostile, "dataset: x\n", 7),
            remote(CUSTOMERS, BASE.replace("email", "e\x07mail"), 1),
        ],
        StateFile.new(),
    )
    text = render_text(report)
    markdown = render_markdown(report)
    for rendered in (text, markdown):
        assert "\x1b" not in rendered
        assert "\x07" not in rendered
        assert "\u202e" not in rendered
    assert "warehouse/x\\x1b[2J\\x1b[31m/evil\\u202e" in text
    assert "e\\x07mail" in render_text(report, show_diff=True)
