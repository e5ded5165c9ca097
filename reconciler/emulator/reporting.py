"""The Reporting API v1 subset the reconciler reads: coverage (checks, datasets, dataset
coverage) and platform impact (incidents). Served under ``/v1`` on the emulator's port.

It speaks FastAPI: a 422 carries ``{"detail": [{"loc", "msg", "type"}]}``, and "no data
(yet)" is a 202 with the ``NoContentError`` shape. Checks are computed in real time from the
stored contracts; the other resources from the seed and the scans that have ended.
"""

from __future__ import annotations

import json
import statistics
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.emulator.api import Handler
from reconciler.emulator.contents import checks_of
from reconciler.emulator.context import Context
from reconciler.emulator.instants import iso_ms, parse_instant
from reconciler.emulator.lifecycle import view_scan
from reconciler.emulator.responses import json_response
from reconciler.emulator.seed import derived_id
from reconciler.emulator.service import Emulator, check_id
from reconciler.emulator.state import Dataset

NO_CONTENT_DETAIL = (
    "No results for the requested data. Since the data is pre-processed in batches it might be "
    "that the data you are looking for has not yet been processed."
)


class Invalid(Exception):
    """A request body that fails validation: FastAPI's 422 detail entries."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("invalid request body")
        self.errors = errors


def _error(loc: list[str | int], msg: str, kind: str) -> dict[str, Any]:
    return {"loc": ["body", *loc], "msg": msg, "type": kind}


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise Invalid([_error([0], f"JSON decode error: {error}", "json_invalid")]) from None
    if not isinstance(body, dict):
        raise Invalid([_error([], "value is not a valid dict", "type_error.dict")])
    return body


def _paging(body: dict[str, Any], errors: list[dict[str, Any]]) -> tuple[int, int]:
    page, size = body.get("page", 1), body.get("size", 400)
    if not isinstance(page, int) or isinstance(page, bool):
        errors.append(_error(["page"], "value is not a valid integer", "type_error.integer"))
    elif page < 1:
        errors.append(
            _error(["page"], "ensure this value is greater than or equal to 1", "value_error")
        )
    if not isinstance(size, int) or isinstance(size, bool):
        errors.append(_error(["size"], "value is not a valid integer", "type_error.integer"))
    elif not 1 <= size <= 1000:
        errors.append(
            _error(["size"], "ensure this value is between 1 and 1000 (inclusive)", "value_error")
        )
    return (page if isinstance(page, int) else 1), (size if isinstance(size, int) else 400)


def _ids(body: dict[str, Any], name: str, errors: list[dict[str, Any]]) -> set[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors.append(_error([name], "value is not a valid list of strings", "type_error.list"))
        return None
    return set(value)


def _instant(body: dict[str, Any], name: str, default: datetime, errors: list[Any]) -> datetime:
    value = body.get(name)
    if value is None:
        return default
    try:
        return parse_instant(str(value))
    except ValueError:
        errors.append(_error([name], "invalid datetime format", "value_error.datetime"))
        return default


def _no_content(resource: str) -> Response:
    return json_response({"resource": resource, "data": [], "detail": NO_CONTENT_DETAIL}, 202)


def _paged(resource: str, rows: list[dict[str, Any]], page: int, size: int) -> Response:
    if not rows:
        return _no_content(resource)
    chosen = rows[(page - 1) * size : page * size]
    return json_response({"total": len(rows), "page": page, "size": size, "data": chosen})


def _datasets(em: Emulator, wanted: set[str] | None) -> list[Dataset]:
    return [d for d in em.store.datasets.values() if wanted is None or d.id in wanted]


async def coverage_checks(em: Emulator, request: Request, ctx: Context) -> Response:
    body = await _body(request)
    errors: list[dict[str, Any]] = []
    page, size = _paging(body, errors)
    dataset_ids = _ids(body, "dataset_ids", errors)
    check_ids = _ids(body, "check_ids", errors)
    if errors:
        raise Invalid(errors)
    if not em.store.reporting_ready:
        return _no_content("/coverage/checks")
    rows: list[dict[str, Any]] = []
    for contract_id in em.store.contract_order:
        contract = em.store.contracts[contract_id]
        if dataset_ids is not None and contract.dataset_id not in dataset_ids:
            continue
        for ref in checks_of(contract.contents):
            cid = check_id(contract.dataset_id, ref.path)
            if check_ids is not None and cid not in check_ids:
                continue
            default_name = f"{ref.type} on {ref.column}" if ref.column else ref.type
            rows.append(
                {
                    "check_id": cid,
                    "organization_id": em.store.organization_id,
                    "check_name": ref.name or default_name,
                    "check_type": ref.type,
                    "created_at": iso_ms(contract.created),
                    "is_archived": "false",
                    "dataset_id": contract.dataset_id,
                    "attributes": {},
                    "is_group_aggregate_check": False,
                    "source": "soda-contract",
                }
            )
    return _paged("/coverage/checks", rows, page, size)


async def coverage_datasets(em: Emulator, request: Request, ctx: Context) -> Response:
    body = await _body(request)
    errors: list[dict[str, Any]] = []
    page, size = _paging(body, errors)
    dataset_ids = _ids(body, "dataset_ids", errors)
    if errors:
        raise Invalid(errors)
    if not em.store.reporting_ready:
        return _no_content("/coverage/datasets")
    last_scans = _last_ended_scans(em, ctx)
    rows: list[dict[str, Any]] = []
    for dataset in _datasets(em, dataset_ids):
        row: dict[str, Any] = {
            "dataset_id": dataset.id,
            "organization_id": em.store.organization_id,
            "dataset_name": dataset.name,
            "dataset_label": dataset.qualified_name,
            "tags": [],
            "number_of_failed_checks": 0,
            "attributes": {},
            "datasource_id": derived_id("datasource", dataset.datasource),
            "datasource_name": dataset.datasource,
            "datasource_label": dataset.datasource,
            "datasource_has_core_agent_enabled": dataset.connected,
        }
        if dataset.owner:
            row["owner_email"] = dataset.owner
        last = last_scans.get(dataset.id)
        if last is not None:
            row["number_of_failed_checks"] = last[1]
            row["last_scan_time"] = iso_ms(last[0])
        rows.append(row)
    return _paged("/coverage/datasets", rows, page, size)


def _last_ended_scans(em: Emulator, ctx: Context) -> dict[str, tuple[datetime, int]]:
    """Per dataset: when its latest ended scan ended, and how many checks it failed."""
    latest: dict[str, tuple[datetime, int]] = {}
    for scan in em.store.scans.values():
        view = view_scan(scan, ctx.now, em.scale)
        if view.ended is None:
            continue
        previous = latest.get(scan.dataset_id)
        if previous is None or view.ended > previous[0]:
            latest[scan.dataset_id] = (view.ended, view.failures)
    return latest


async def dataset_coverage(em: Emulator, request: Request, ctx: Context) -> Response:
    body = await _body(request)
    errors: list[dict[str, Any]] = []
    dataset_ids = _ids(body, "dataset_ids", errors)
    if errors:
        raise Invalid(errors)
    datasets = _datasets(em, dataset_ids)
    if not em.store.reporting_ready or not datasets:
        return _no_content("/coverage/dataset_coverage")
    counts = []
    for dataset in datasets:
        contract = em.store.contract_of(dataset.id)
        counts.append((dataset.id, len(checks_of(contract.contents)) if contract else 0))
    numbers = [n for _, n in counts]
    most = max(numbers)
    return json_response(
        {
            "data": {
                "descriptives": {
                    "median_number_of_checks": statistics.median(numbers),
                    "max_number_of_checks": most,
                    "min_number_of_checks": min(numbers),
                    "standard_deviation_number_of_checks": statistics.pstdev(numbers),
                    "mean_number_of_checks": statistics.fmean(numbers),
                },
                "dataset_info": [
                    {
                        "dataset_id": dataset_id,
                        "number_of_checks": n,
                        # Relative to the best covered dataset: 0.00 (none) to 1.00.
                        "relative_coverage_score": f"{(n / most) if most else 0.0:.2f}",
                    }
                    for dataset_id, n in counts
                ],
            }
        }
    )


async def incidents(em: Emulator, request: Request, ctx: Context) -> Response:
    body = await _body(request)
    errors: list[dict[str, Any]] = []
    page, size = _paging(body, errors)
    dataset_ids = _ids(body, "dataset_ids", errors)
    status = body.get("status", "unresolved")
    if status not in ("resolved", "unresolved"):
        errors.append(
            _error(["status"], "status must be 'resolved' or 'unresolved'", "value_error")
        )
    start = _instant(body, "from_datetime", ctx.now - timedelta(days=31), errors)
    end = _instant(body, "to_datetime", ctx.now, errors)
    if errors:
        raise Invalid(errors)
    if not em.store.reporting_ready:
        return _no_content("/impact/incidents")
    rows: list[dict[str, Any]] = []
    for incident in em.store.incidents:
        resolved = incident.status.lower() == "resolved"
        if (status == "resolved") != resolved:
            continue
        if dataset_ids is not None and incident.dataset_id not in dataset_ids:
            continue
        if not start <= incident.created_at <= end:
            continue
        row: dict[str, Any] = {
            "incident_id_report_date_id": derived_id(
                "incident-report", f"{incident.incident_id}:{incident.created_at.date()}"
            ),
            "incident_id": incident.incident_id,
            "organization_id": em.store.organization_id,
            "created_at": iso_ms(incident.created_at),
            "last_updated": iso_ms(incident.last_updated),
            "dataset_id": incident.dataset_id,
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
            "report_date": incident.created_at.date().isoformat(),
        }
        if incident.check_id is not None:
            row["check_id"] = incident.check_id
        if incident.check_name is not None:
            row["check_name"] = incident.check_name
        if incident.resolved_at is not None:
            row["resolved_at"] = iso_ms(incident.resolved_at)
        rows.append(row)
    return _paged("/impact/incidents", rows, page, size)


ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", "/v1/coverage/checks", coverage_checks),
    ("POST", "/v1/coverage/datasets", coverage_datasets),
    ("POST", "/v1/coverage/dataset_coverage", dataset_coverage),
    ("POST", "/v1/impact/incidents", incidents),
]
