"""Routes under ``/_emulator/``: not Soda's API but the emulator's own controls, for tests,
demos and people. Loopback callers only; no API key; never subject to faults or limits."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from reconciler.emulator.contents import ContentsError, check_contents
from reconciler.emulator.context import json_object
from reconciler.emulator.instants import iso_ms
from reconciler.emulator.lifecycle import operation_state, view_scan
from reconciler.emulator.responses import ApiProblem, json_response
from reconciler.emulator.seed import (
    DatasetSeed,
    Faults,
    IncidentSeed,
    Limits,
    OperationOutcome,
    ScanOutcome,
)
from reconciler.emulator.service import Emulator
from reconciler.emulator.state import Dataset, Scan, column_of

AdminHandler = Callable[[Emulator, Request], Awaitable[Response]]

_SCAN_OUTCOMES = TypeAdapter(dict[str, ScanOutcome | None])
_OPERATION_OUTCOMES = TypeAdapter(dict[str, OperationOutcome | None])
_LOOPBACK = ("127.", "::1", "localhost")


def is_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    return host.startswith(_LOOPBACK)


def _invalid(error: ValidationError) -> ApiProblem:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return ApiProblem(400, "invalid_request", f"{where or 'body'}: {first['msg']}")


async def stats(em: Emulator, request: Request) -> Response:
    snapshot = em.stats.snapshot()
    if em.agent is not None:
        snapshot["agent"] = {"runs": em.agent.runs, "queued": em.agent.queued()}
    return json_response(snapshot)


async def drain_agent(em: Emulator, request: Request) -> Response:
    """Wait until the agent has answered every scan that is due (``timeout`` real seconds,
    default 60); then the scans' states follow from the clock alone."""
    raw = request.query_params.get("timeout", "60")
    try:
        timeout = float(raw)
    except ValueError:
        raise ApiProblem(
            400, "invalid_parameter", f"`timeout` must be a number, got '{raw}'"
        ) from None
    if em.agent is None:
        return json_response({"drained": True, "runs": 0})
    agent = em.agent
    drained = await asyncio.to_thread(agent.drain, timeout)
    em.settle(em.clock.now())
    return json_response({"drained": drained, "runs": agent.runs})


async def state(em: Emulator, request: Request) -> Response:
    now = em.clock.now()
    em.settle(now)
    store = em.store
    contracts = []
    for contract_id in store.contract_order:
        contract = store.contracts[contract_id]
        latest = contract.versions[-1]
        contracts.append(
            {
                "id": contract.id,
                "datasetId": contract.dataset_id,
                "dataset": contract.dataset_qualified_name,
                "versions": len(contract.versions),
                "contents": contract.contents,
                "checksum": latest.checksum,
                "creatorId": latest.creator_id,
                "created": iso_ms(contract.created),
                "lastUpdated": iso_ms(contract.last_updated),
            }
        )
    scans = []
    for scan in store.scans.values():
        view = view_scan(scan, now, em.scale)
        scans.append(
            {
                "id": scan.id,
                "kind": scan.kind,
                "contractId": scan.contract_id,
                "dataset": scan.dataset_qualified_name,
                "state": view.state,
                "outcome": _outcome(scan),
                "created": iso_ms(scan.created),
                "canceled": scan.cancel_at is not None,
            }
        )
    operations = [
        {
            "id": op.id,
            "kind": op.kind,
            "state": operation_state(op, now, em.scale),
            "datasets": [entry.qualified_name for entry in op.datasets],
            "created": iso_ms(op.created),
        }
        for op in store.operations.values()
    ]
    datasets = [
        {
            "id": d.id,
            "qualifiedName": d.qualified_name,
            "connected": d.connected,
            "columns": [{"name": c.name, "data_type": c.data_type} for c in d.columns],
            "hasContract": store.contract_of(d.id) is not None,
        }
        for d in store.datasets.values()
    ]
    return json_response(
        {
            "contracts": contracts,
            "scans": scans,
            "operations": operations,
            "datasets": datasets,
            "incidents": [
                {
                    "incidentId": i.incident_id,
                    "title": i.title,
                    "datasetId": i.dataset_id,
                    "status": i.status,
                }
                for i in store.incidents
            ],
            "scanOutcomes": dict(store.scan_outcomes),
            "reportingReady": store.reporting_ready,
        }
    )


def _outcome(scan: Scan) -> str:
    """The scripted outcome, or for the agent's scans its answer (``pending`` until then)."""
    if not scan.by_agent:
        return scan.outcome
    return scan.result.state if scan.result is not None else "pending"


async def reset(em: Emulator, request: Request) -> Response:
    em.reset()
    return json_response({"reset": True})


async def add_dataset(em: Emulator, request: Request) -> Response:
    try:
        seed = DatasetSeed.model_validate(await json_object(request))
    except ValidationError as error:
        raise _invalid(error) from None
    dataset = Dataset(
        id=seed.dataset_id,
        qualified_name=seed.qualified_name,
        connected=seed.connected,
        columns=[column_of(c) for c in seed.columns],
        owner=seed.owner,
    )
    clash = em.store.datasets.get(dataset.id)
    if clash is not None and clash.qualified_name != dataset.qualified_name:
        raise ApiProblem(
            400, "invalid_request", f"dataset id {dataset.id} belongs to {clash.qualified_name}"
        )
    created = em.store.put_dataset(dataset)
    em.save()
    return json_response(
        {"id": dataset.id, "qualifiedName": dataset.qualified_name, "created": created},
        201 if created else 200,
    )


async def edit_contract(em: Emulator, request: Request) -> Response:
    """A change made by a person in the Soda Cloud UI: a new version (or the first one)."""
    name = request.query_params.get("dataset")
    if not name:
        raise ApiProblem(400, "invalid_request", "query parameter `dataset` is required")
    dataset = em.store.dataset_named(name)
    if dataset is None:
        raise ApiProblem(404, "dataset_not_found", f"no dataset '{name}'")
    body = await json_object(request)
    contents = body.get("contents")
    creator = body.get("creatorId") or em.config.creator_ids.ui
    if not isinstance(contents, str) or not isinstance(creator, str):
        raise ApiProblem(400, "invalid_request", "`contents` (and `creatorId`) must be strings")
    try:
        # The UI validates what it saves, as the API does.
        check_contents(contents, dataset.qualified_name)
    except ContentsError as error:
        raise ApiProblem(400, error.code, f"invalid contract contents: {error.message}") from None
    now = em.clock.now()
    em.settle(now)
    contract = em.store.contract_of(dataset.id)
    if contract is None:
        contract = em.store.create_contract(dataset, contents, creator, now)
    else:
        em.store.publish(contract, contents, creator, now)
    em.save()
    return json_response(
        {
            "id": contract.id,
            "versions": len(contract.versions),
            "lastUpdated": iso_ms(contract.last_updated),
        }
    )


async def scan_outcomes(em: Emulator, request: Request) -> Response:
    try:
        outcomes = _SCAN_OUTCOMES.validate_python(await json_object(request))
    except ValidationError as error:
        raise _invalid(error) from None
    _merge(em.store.scan_outcomes, outcomes)
    em.save()
    return json_response(dict(em.store.scan_outcomes))


async def operation_outcomes(em: Emulator, request: Request) -> Response:
    try:
        outcomes = _OPERATION_OUTCOMES.validate_python(await json_object(request))
    except ValidationError as error:
        raise _invalid(error) from None
    _merge(em.store.operation_outcomes, outcomes)
    em.save()
    return json_response(dict(em.store.operation_outcomes))


def _merge(target: dict[str, str], changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value


async def faults(em: Emulator, request: Request) -> Response:
    try:
        settings = Faults.model_validate(await json_object(request))
    except ValidationError as error:
        raise _invalid(error) from None
    em.faults.configure(settings)
    return json_response(settings.model_dump())


async def limits(em: Emulator, request: Request) -> Response:
    body = await json_object(request)
    try:
        settings = Limits.model_validate({**em.limiter.settings.model_dump(), **body})
    except ValidationError as error:
        raise _invalid(error) from None
    em.limiter.configure(settings)
    return json_response(settings.model_dump())


async def add_incident(em: Emulator, request: Request) -> Response:
    try:
        seed = IncidentSeed.model_validate(await json_object(request))
    except ValidationError as error:
        raise _invalid(error) from None
    dataset = em.store.dataset_named(seed.dataset)
    if dataset is None:
        raise ApiProblem(404, "dataset_not_found", f"no dataset '{seed.dataset}'")
    incident = em.store.add_incident(seed, em.clock.now())
    em.save()
    return json_response({"incidentId": incident.incident_id, "datasetId": dataset.id}, 201)


async def reporting(em: Emulator, request: Request) -> Response:
    body = await json_object(request)
    ready = body.get("ready")
    if not isinstance(ready, bool):
        raise ApiProblem(400, "invalid_request", "`ready` must be true or false")
    em.store.reporting_ready = ready
    em.save()
    return json_response({"ready": ready})


ROUTES: list[tuple[str, str, AdminHandler]] = [
    ("GET", "/_emulator/stats", stats),
    ("POST", "/_emulator/agent/drain", drain_agent),
    ("GET", "/_emulator/state", state),
    ("POST", "/_emulator/reset", reset),
    ("POST", "/_emulator/datasets", add_dataset),
    ("PUT", "/_emulator/contracts", edit_contract),
    ("PUT", "/_emulator/scan-outcomes", scan_outcomes),
    ("PUT", "/_emulator/operation-outcomes", operation_outcomes),
    ("PUT", "/_emulator/faults", faults),
    ("PUT", "/_emulator/limits", limits),
    ("POST", "/_emulator/incidents", add_incident),
    ("PUT", "/_emulator/reporting", reporting),
]
