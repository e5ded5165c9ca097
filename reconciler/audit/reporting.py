"""What the Reporting API's answers add to an audit: the datasets no contract covers and the
unresolved incidents on managed datasets. Pure functions of what was read.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.audit.model import (
    Coverage,
    DatasetWithoutContract,
    Incidents,
    NotCompared,
    OpenIncident,
)
from reconciler.cloud.dto import Contract, CoverageDataset
from reconciler.desired import DesiredState
from reconciler.observed import NotRead, ObservedState, ReportingData
from reconciler.plan.globs import DatasetFilter
from reconciler.state import StateFile


def coverage_of(
    reporting: ReportingData,
    observed: ObservedState,
    desired: DesiredState,
    wanted: DatasetFilter,
) -> Coverage:
    if reporting.coverage_datasets is None:
        return Coverage(
            not_compared=NotCompared(
                cause=reporting.coverage_gap or NotRead.NO_DATA_YET, error=reporting.coverage_error
            )
        )
    covered = {c.dataset_id for c in observed.contracts.values() if c.dataset_id}
    in_git = set(desired.contracts)
    seen: dict[str, DatasetWithoutContract] = {}
    for row in reporting.coverage_datasets:
        name = qualified_name_of(row)
        if row.dataset_id in covered or name in in_git or not wanted(name):
            continue
        seen[row.dataset_id] = DatasetWithoutContract(
            dataset_id=row.dataset_id,
            name=name,
            datasource=row.datasource_name,
            owner=row.owner_email,
            last_scan_time=row.last_scan_time,
        )
    return Coverage(
        datasets_seen=len({row.dataset_id for row in reporting.coverage_datasets}),
        without_contract=tuple(sorted(seen.values(), key=lambda d: (d.name, d.dataset_id))),
    )


def qualified_name_of(row: CoverageDataset) -> str:
    """The dataset's qualified name as best the Reporting API tells it.

    The label is the qualified name where Soda Cloud shows one; otherwise the data source
    and the dataset's own name are joined (prefixes are then unknown)."""
    if row.dataset_label and "/" in row.dataset_label:
        return row.dataset_label
    name = row.dataset_name or row.dataset_label or row.dataset_id
    return f"{row.datasource_name}/{name}" if row.datasource_name else name


def incidents_of(
    reporting: ReportingData,
    observed: ObservedState,
    state: StateFile,
    managed: set[str],
    cloud_url: str,
) -> Incidents:
    if reporting.incidents is None:
        if reporting.incidents_gap is None and reporting.coverage_datasets:
            # The Reporting API answers 202 both for "not processed yet" and for "nothing
            # matches". Once its dataset batch is there, an empty incidents answer means none.
            return Incidents()
        return Incidents(
            not_compared=NotCompared(
                cause=reporting.incidents_gap or NotRead.NO_DATA_YET,
                error=reporting.incidents_error,
            )
        )
    names = _names_by_dataset_id(observed.contracts, state)
    latest: dict[str, tuple[str, OpenIncident]] = {}
    for incident in reporting.incidents:
        if not incident.incident_id or (incident.status or "").lower() == "resolved":
            continue
        name = names.get(incident.dataset_id or "")
        if name is None or name not in managed:
            continue
        # The API lists an incident once per report date; keep its latest report.
        updated = incident.last_updated or incident.created_at or ""
        previous = latest.get(incident.incident_id)
        if previous is not None and previous[0] > updated:
            continue
        latest[incident.incident_id] = (
            updated,
            OpenIncident(
                incident_id=incident.incident_id,
                dataset=name,
                title=incident.title or None,
                severity=incident.severity,
                status=incident.status,
                created_at=incident.created_at,
                check_name=incident.check_name,
                url=incident_url(cloud_url, incident.incident_id),
            ),
        )
    return Incidents(
        unresolved=tuple(
            sorted(
                (entry for _, entry in latest.values()),
                key=lambda i: (_severity_rank(i.severity), i.dataset, i.title or "", i.incident_id),
            )
        )
    )


def incident_url(cloud_url: str, incident_id: str) -> str | None:
    """The incident's page in Soda Cloud (the Reporting API gives no link; this is the UI's)."""
    return f"{cloud_url.rstrip('/')}/incidents/{incident_id}" if cloud_url else None


def _names_by_dataset_id(contracts: Mapping[str, Contract], state: StateFile) -> dict[str, str]:
    names = {r.dataset_id: name for name, r in state.datasets.items() if r.dataset_id}
    names.update({c.dataset_id: name for name, c in contracts.items() if c.dataset_id})
    return names


_SEVERITY = ("critical", "major", "minor", "info")


def _severity_rank(severity: str | None) -> int:
    value = (severity or "").lower()
    return _SEVERITY.index(value) if value in _SEVERITY else len(_SEVERITY)
