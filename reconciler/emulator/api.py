"""The Soda Cloud API v1 (contracts and scans), as the two OpenAPI documents describe it.

Handlers raise :class:`ApiProblem` for every documented error; the pipeline in
:mod:`reconciler.emulator.app` has already done faults, authentication, rate limits and the
viewer check, and settled finished operations at ``ctx.now``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.emulator.contents import ContentsError, check_contents, checks_of
from reconciler.emulator.context import (
    Context,
    json_object,
    optional_string,
    page_body,
    paging,
    string_list,
)
from reconciler.emulator.instants import iso_clock_seconds_up, iso_ms, parse_instant
from reconciler.emulator.lifecycle import CANCELABLE_STATES, operation_state, view_scan
from reconciler.emulator.responses import ApiProblem, empty_response, json_response
from reconciler.emulator.seed import derived_id
from reconciler.emulator.service import Emulator
from reconciler.emulator.state import Contract, Dataset, Operation, OperationDataset, Scan
from reconciler.emulator.templates import create_template, generated_contents, skeleton_contents

Handler = Callable[[Emulator, Request, Context], Awaitable[Response]]

SKELETON_PATH = "/api/v1/contracts/actions/createSkeleton"
GENERATE_PATH = "/api/v1/contracts/actions/generate"


# -- DTOs ----------------------------------------------------------------------------------------


def contract_dto(contract: Contract) -> dict[str, Any]:
    return {
        "id": contract.id,
        "datasetId": contract.dataset_id,
        "datasetQualifiedName": contract.dataset_qualified_name,
        "contents": contract.contents,
        "created": iso_ms(contract.created),
        "lastUpdated": iso_ms(contract.last_updated),
    }


def scan_cloud_url(em: Emulator, ctx: Context, scan: Scan) -> str:
    return f"{ctx.origin}/o/{em.store.organization_id}/scans/{scan.id}"


def scan_dto(em: Emulator, ctx: Context, scan: Scan) -> tuple[dict[str, Any], Any]:
    view = view_scan(scan, ctx.now, em.scale)
    body: dict[str, Any] = {
        "id": scan.id,
        "state": view.state,
        "created": iso_ms(scan.created),
        "submitted": iso_ms(scan.created),
        "agentId": "emulator-agent",
        "cloudUrl": scan_cloud_url(em, ctx, scan),
        "contractDatasetCloudUrl": (
            f"{ctx.origin}/o/{em.store.organization_id}/datasets/{scan.dataset_id}/contract"
        ),
        "scanDefinition": {
            "id": derived_id("scan-definition", f"{scan.dataset_id}:{scan.kind}"),
            "name": f"{scan.dataset_qualified_name} contract {scan.kind}",
        },
        "checks": [{"id": cid, "evaluationStatus": status} for cid, status in view.checks],
        "errors": view.errors,
        "failures": view.failures,
        "warnings": view.warnings,
    }
    if view.started is not None:
        body["started"] = iso_ms(view.started)
        body["scanTime"] = iso_ms(view.started)
    if view.ended is not None:
        body["ended"] = iso_ms(view.ended)
    return body, view


# -- lookups ---------------------------------------------------------------------------------------


def _dataset(em: Emulator, dataset_id: str | None, qualified_name: str | None) -> Dataset:
    dataset = (
        em.store.datasets.get(dataset_id)
        if dataset_id is not None
        else em.store.dataset_named(qualified_name or "")
    )
    if dataset is None:
        which = f"id '{dataset_id}'" if dataset_id is not None else f"'{qualified_name}'"
        raise ApiProblem(404, "dataset_not_found", f"no dataset with {which}")
    return dataset


def _one_dataset(em: Emulator, dataset_id: str | None, qualified_name: str | None) -> Dataset:
    """Exactly one of ``datasetId`` and ``datasetQualifiedName``, as the API requires."""
    if dataset_id is not None and qualified_name is not None:
        raise ApiProblem(
            400,
            "invalid_request",
            "give either `datasetId` or `datasetQualifiedName`, not both",
        )
    if dataset_id is None and qualified_name is None:
        raise ApiProblem(
            400, "invalid_request", "give one of `datasetId` or `datasetQualifiedName`"
        )
    return _dataset(em, dataset_id, qualified_name)


def _contract(em: Emulator, request: Request) -> Contract:
    contract_id = request.path_params["contractId"]
    contract = em.store.contracts.get(contract_id)
    if contract is None:
        raise ApiProblem(404, "contract_not_found", f"no contract with id '{contract_id}'")
    return contract


def _scan(em: Emulator, request: Request) -> Scan:
    scan_id = request.path_params["scanId"]
    scan = em.store.scans.get(scan_id)
    if scan is None:
        raise ApiProblem(404, "scan_not_found", f"no scan with id '{scan_id}'")
    return scan


def _operation(em: Emulator, request: Request, kind: str) -> Operation:
    operation_id = request.path_params["operationId"]
    operation = em.store.operations.get(operation_id)
    if operation is None or operation.kind != kind:
        raise ApiProblem(
            404, "operation_not_found", f"no {kind} operation with id '{operation_id}'"
        )
    return operation


def _contents(body: dict[str, Any], dataset: Dataset) -> str:
    contents = body.get("contents")
    if not isinstance(contents, str):
        raise ApiProblem(
            400, "invalid_request", "`contents` (the contract YAML, a string) is required"
        )
    try:
        check_contents(contents, dataset.qualified_name)
    except ContentsError as error:
        raise ApiProblem(400, error.code, f"invalid contract contents: {error.message}") from None
    return contents


# -- contracts -------------------------------------------------------------------------------------


async def list_contracts(em: Emulator, request: Request, ctx: Context) -> Response:
    page, size = paging(request, default_size=10, low=10, high=1000)
    dataset_id = request.query_params.get("datasetId")
    qualified_name = request.query_params.get("datasetQualifiedName")
    if dataset_id is not None and qualified_name is not None:
        raise ApiProblem(
            400,
            "invalid_request",
            "filter by either `datasetId` or `datasetQualifiedName`, not both",
        )
    ids: list[str]
    if dataset_id is not None or qualified_name is not None:
        dataset = _dataset(em, dataset_id, qualified_name)
        contract = em.store.contract_of(dataset.id)
        ids = [contract.id] if contract else []
    else:
        ids = em.store.contract_order
    chosen, fields = page_body(ids, page, size)
    content = [contract_dto(em.store.contracts[cid]) for cid in chosen]
    return json_response({"content": content, **fields})


async def create_contract(em: Emulator, request: Request, ctx: Context) -> Response:
    body = await json_object(request)
    dataset = _one_dataset(
        em, optional_string(body, "datasetId"), optional_string(body, "datasetQualifiedName")
    )
    if em.store.contract_of(dataset.id) is not None:
        raise ApiProblem(
            400,
            "dataset_contract_already_exists",
            f"dataset {dataset.qualified_name} already has a contract; publish a new version "
            "of it instead",
        )
    contents = _contents(body, dataset)
    if em.config.create_mode == "template":
        contents = create_template(dataset.qualified_name)
    contract = em.store.create_contract(dataset, contents, ctx.principal.creator_id, ctx.now)
    em.save()
    return json_response({"contract": contract_dto(contract)})


async def get_contract(em: Emulator, request: Request, ctx: Context) -> Response:
    return json_response({"contract": contract_dto(_contract(em, request))})


async def publish_contract(em: Emulator, request: Request, ctx: Context) -> Response:
    contract = _contract(em, request)
    body = await json_object(request)
    dataset = em.store.datasets[contract.dataset_id]
    contents = _contents(body, dataset)
    em.store.publish(contract, contents, ctx.principal.creator_id, ctx.now)
    em.save()
    return json_response({"contract": contract_dto(contract)})


async def verify_contract(em: Emulator, request: Request, ctx: Context) -> Response:
    contract = _contract(em, request)
    body = await json_object(request, optional=True)
    check_paths: list[str] | None = None
    if body.get("checkPaths") is not None:
        check_paths = string_list(body, "checkPaths")
        if not em.config.check_paths:
            raise ApiProblem(
                400,
                "check_paths_not_available",
                "checkPaths is not available for this organization: verify the whole "
                "contract (send no checkPaths)",
            )
        known = {ref.path for ref in checks_of(contract.contents)}
        unknown = [path for path in check_paths if path not in known]
        if unknown:
            raise ApiProblem(
                400,
                "unknown_check_path",
                f"the contract has no check at {', '.join(unknown)}; its check paths are: "
                f"{', '.join(sorted(known)) or '(none)'}",
            )
    dataset = em.store.datasets[contract.dataset_id]
    if not dataset.connected:
        raise ApiProblem(
            400,
            "dataset_not_connected",
            f"dataset {dataset.qualified_name} is not connected to a Soda Agent; a "
            "verification scan needs one",
        )
    scan = em.new_scan(
        kind="verification",
        dataset=dataset,
        contract_id=contract.id,
        contents=contract.contents,
        now=ctx.now,
        check_paths=check_paths,
    )
    em.save()
    return empty_response(
        201,
        {"Location": f"{ctx.origin}/api/v1/scans/{scan.id}", "X-Soda-Scan-Id": scan.id},
    )


async def list_versions(em: Emulator, request: Request, ctx: Context) -> Response:
    contract = _contract(em, request)
    page, size = paging(request, default_size=10, low=10, high=1000)
    versions = list(reversed(contract.versions))
    raw_before = request.query_params.get("createdBefore")
    if raw_before is not None:
        try:
            before = parse_instant(raw_before)
        except ValueError:
            raise ApiProblem(
                400,
                "invalid_parameter",
                f"`createdBefore` must be an ISO 8601 date-time, got '{raw_before}'",
            ) from None
        versions = [version for version in versions if version.created < before]
    chosen, fields = page_body(versions, page, size)
    content = [
        {
            "id": version.id,
            "contractId": contract.id,
            "checksum": version.checksum,
            "contents": version.contents,
            "created": iso_ms(version.created),
            "creatorId": version.creator_id,
        }
        for version in chosen
    ]
    return json_response({"content": content, **fields})


# -- asynchronous contract operations ----------------------------------------------------------


def _refusal(em: Emulator, dataset: Dataset) -> tuple[str, str] | None:
    """Why a dataset cannot get a skeleton or a generated contract: (code, reason)."""
    if not dataset.connected:
        return "dataset_not_connected", "is not connected to a Soda Agent"
    if em.store.contract_of(dataset.id) is not None:
        return "dataset_contract_already_exists", "already has a contract"
    if dataset.id in em.store.busy_datasets():
        return "operation_in_progress", "has a contract generation in progress"
    return None


async def create_skeleton(em: Emulator, request: Request, ctx: Context) -> Response:
    body = await json_object(request)
    dataset = _one_dataset(
        em, optional_string(body, "datasetId"), optional_string(body, "datasetQualifiedName")
    )
    refusal = _refusal(em, dataset)
    if refusal is not None:
        raise ApiProblem(400, refusal[0], f"dataset {dataset.qualified_name} {refusal[1]}")
    operation = Operation(
        id=str(uuid.uuid4()),
        kind="skeleton",
        created=ctx.now,
        duration=em.config.durations.skeleton,
        datasets=[
            OperationDataset(
                dataset_id=dataset.id,
                qualified_name=dataset.qualified_name,
                contents=skeleton_contents(dataset.qualified_name, dataset.columns),
                outcome=em.store.operation_outcomes.get(dataset.qualified_name, "completed"),
            )
        ],
    )
    em.store.add_operation(operation)
    em.save()
    return empty_response(202, {"Location": f"{ctx.origin}{SKELETON_PATH}/{operation.id}"})


async def skeleton_status(em: Emulator, request: Request, ctx: Context) -> Response:
    operation = _operation(em, request, "skeleton")
    entry = operation.datasets[0]
    return json_response(
        {
            "operationId": operation.id,
            "created": iso_ms(operation.created),
            "datasetId": entry.dataset_id,
            "datasetQualifiedName": entry.qualified_name,
            "state": operation_state(operation, ctx.now, em.scale),
        }
    )


async def generate(em: Emulator, request: Request, ctx: Context) -> Response:
    body = await json_object(request)
    ids = string_list(body, "datasetIds")
    names = string_list(body, "datasetQualifiedNames")
    if not ids and not names:
        raise ApiProblem(
            400,
            "invalid_request",
            "give at least one dataset in `datasetIds` or `datasetQualifiedNames`",
        )
    chosen: dict[str, Dataset] = {}
    problems: list[str] = []
    for dataset_id in ids:
        dataset = em.store.datasets.get(dataset_id)
        if dataset is None:
            problems.append(f"datasetId {dataset_id}: unknown dataset")
        else:
            chosen.setdefault(dataset.id, dataset)
    for name in names:
        dataset = em.store.dataset_named(name)
        if dataset is None:
            problems.append(f"{name}: unknown dataset")
        else:
            chosen.setdefault(dataset.id, dataset)
    for dataset in chosen.values():
        refusal = _refusal(em, dataset)
        if refusal is not None:
            problems.append(f"{dataset.qualified_name}: {refusal[1]}")
    if problems:
        raise ApiProblem(
            400,
            "datasets_not_eligible",
            f"{len(problems)} dataset(s) cannot get a generated contract: " + "; ".join(problems),
        )
    operation_id = str(uuid.uuid4())
    entries: list[OperationDataset] = []
    for dataset in chosen.values():
        outcome = em.store.operation_outcomes.get(dataset.qualified_name, "completed")
        contents = generated_contents(dataset.qualified_name, dataset.columns)
        scan = em.new_scan(
            kind="generation",
            dataset=dataset,
            contract_id=em.contract_id_for(dataset),
            contents=contents,
            now=ctx.now,
            outcome="failed" if outcome == "failed" else None,
            operation_id=operation_id,
        )
        entries.append(
            OperationDataset(
                dataset_id=dataset.id,
                qualified_name=dataset.qualified_name,
                contents=contents,
                outcome=outcome,
                scan_id=scan.id,
            )
        )
    em.store.add_operation(
        Operation(
            id=operation_id,
            kind="generate",
            created=ctx.now,
            duration=em.config.durations.generate,
            datasets=entries,
        )
    )
    em.save()
    return empty_response(202, {"Location": f"{ctx.origin}{GENERATE_PATH}/{operation_id}"})


async def generate_status(em: Emulator, request: Request, ctx: Context) -> Response:
    operation = _operation(em, request, "generate")
    state = operation_state(operation, ctx.now, em.scale)
    body: dict[str, Any] = {
        "operationId": operation.id,
        "created": iso_ms(operation.created),
        "state": state,
    }
    # While ongoing only the state is returned: ``datasets`` is absent (read it as null).
    if state != "ongoing":
        datasets = []
        for entry in operation.datasets:
            item: dict[str, Any] = {
                "datasetId": entry.dataset_id,
                "datasetQualifiedName": entry.qualified_name,
            }
            scan = em.store.scans.get(entry.scan_id or "")
            if scan is not None:
                item["scanId"] = scan.id
                item["scanState"] = view_scan(scan, ctx.now, em.scale).state
                item["scanCloudUrl"] = scan_cloud_url(em, ctx, scan)
            datasets.append(item)
        body["datasets"] = datasets
    return json_response(body)


# -- scans ---------------------------------------------------------------------------------------


async def scan_status(em: Emulator, request: Request, ctx: Context) -> Response:
    body, view = scan_dto(em, ctx, _scan(em, request))
    headers = {}
    if view.next_change is not None:
        # When the state moves next, rounded up to a whole (clock) second, as documented in
        # the README: a client that obeys it never polls before the change.
        headers["X-Soda-Next-Poll-Time"] = iso_clock_seconds_up(
            max(view.next_change, ctx.now), em.scale
        )
    return json_response(body, headers=headers)


async def cancel_scan(em: Emulator, request: Request, ctx: Context) -> Response:
    scan = _scan(em, request)
    state = view_scan(scan, ctx.now, em.scale).state
    if state not in CANCELABLE_STATES:
        raise ApiProblem(
            400,
            "scan_not_cancelable",
            f"scan {scan.id} is {state}; only a queuing or executing scan can be canceled",
        )
    scan.cancel_at = ctx.now
    scan.cancel_from = state
    if state == "queuing":
        em.cancel_job(scan)
    em.save()
    return empty_response(200, {"Location": f"{ctx.origin}/api/v1/scans/{scan.id}"})


async def scan_logs(em: Emulator, request: Request, ctx: Context) -> Response:
    scan = _scan(em, request)
    page, size = paging(request, default_size=1000, low=100, high=1000)
    view = view_scan(scan, ctx.now, em.scale)
    lines = sorted(enumerate(view.logs), key=lambda item: (item[1].timestamp, item[0]))
    chosen, fields = page_body(lines, page, size)
    content = [
        {
            "index": page * size + offset,
            "level": line.level,
            "message": line.message,
            "timestamp": iso_ms(line.timestamp),
        }
        for offset, (_, line) in enumerate(chosen)
    ]
    return json_response({"content": content, **fields})


# (method, template, handler, needs a role that may write)
ROUTES: list[tuple[str, str, Handler, bool]] = [
    ("GET", "/api/v1/contracts", list_contracts, False),
    ("POST", "/api/v1/contracts", create_contract, True),
    ("POST", SKELETON_PATH, create_skeleton, True),
    ("GET", SKELETON_PATH + "/{operationId}", skeleton_status, False),
    ("POST", GENERATE_PATH, generate, True),
    ("GET", GENERATE_PATH + "/{operationId}", generate_status, False),
    ("GET", "/api/v1/contracts/{contractId}", get_contract, False),
    ("POST", "/api/v1/contracts/{contractId}", publish_contract, True),
    ("POST", "/api/v1/contracts/{contractId}/verify", verify_contract, True),
    ("GET", "/api/v1/contracts/{contractId}/versions", list_versions, False),
    ("GET", "/api/v1/scans/{scanId}", scan_status, False),
    ("DELETE", "/api/v1/scans/{scanId}", cancel_scan, True),
    # Soda's Go CLI spells cancel this way; same answer, same rate-limit lane (limits.LANES).
    ("POST", "/api/v1/scans/{scanId}/actions/cancel", cancel_scan, True),
    ("GET", "/api/v1/scans/{scanId}/logs", scan_logs, False),
]
