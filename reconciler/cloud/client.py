"""The Soda Cloud client: one method per API operation.

Reads are retried freely. Writes are never blindly repeated once they may have reached the
server:
- create: when the outcome is unknown, look the contract up by dataset; an answer of
  ``dataset_contract_already_exists`` means "it exists: use it";
- publish: when the outcome is unknown, read the latest version and compare its contents with
  what was sent before publishing again;
- verify, createSkeleton, generate: repeated only when the request surely never reached the
  server (connect error) or was refused with 429; otherwise the caller hears that the outcome
  is unknown.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from reconciler.clock import Clock, SystemClock
from reconciler.cloud.dto import (
    Contract,
    ContractVersion,
    CoverageCheck,
    CoverageDataset,
    DatasetCoverageInfo,
    GenerateStatus,
    Incident,
    Page,
    ScanLog,
    ScanStatus,
    SkeletonStatus,
    parse_instant,
)
from reconciler.cloud.http import CallStats, Exchange, Retry, WaitReporter, log_wait
from reconciler.cloud.ratelimit import DOCUMENTED_LIMITS, Limit, Operation, RateLimiter
from reconciler.cloud.retry import Backoff, Deadline, next_poll_seconds
from reconciler.cloud.settings import CloudSettings
from reconciler.errors import (
    ApiError,
    BadRequest,
    CloudError,
    DeadlineExceeded,
    NotFound,
    OutcomeUnknown,
    ServerError,
    TransportError,
)

log = logging.getLogger("reconciler.cloud")

CONTRACTS = "/api/v1/contracts"
SCANS = "/api/v1/scans"
LIST_PAGE_SIZE = 1000
VERSIONS_PAGE_SIZE = 100
LOGS_PAGE_SIZE = 1000
REPORTING_PAGE_SIZE = 1000
ALREADY_EXISTS = "dataset_contract_already_exists"
POLL_MIN, POLL_FIRST, POLL_MAX = 1.0, 2.0, 30.0

ModelT = TypeVar("ModelT", bound=BaseModel)
StatusT = TypeVar("StatusT")


@dataclass(frozen=True)
class Created:
    """The contract a create call left in Soda Cloud; ``existed`` when it was already there."""

    contract: Contract
    existed: bool


@dataclass(frozen=True)
class Published:
    """The contract after a publish; ``recovered`` when the answer was lost but the version landed."""

    contract: Contract
    recovered: bool = False


class SodaCloudClient:
    """Async client of the Soda Cloud contracts, scans and Reporting APIs."""

    def __init__(
        self,
        settings: CloudSettings,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        limits: dict[Operation, Limit] | None = None,
        rng: random.Random | None = None,
        retry_deadline: float = 900.0,
        reporting_deadline: float = 60.0,
        poll_deadline: float = 3600.0,
        report_wait: WaitReporter = log_wait,
        timeout: float = 60.0,
    ) -> None:
        if not settings.base_url:
            raise ValueError("the local Soda Cloud must be started before a client is made")
        self.settings = settings
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self.poll_deadline = poll_deadline
        # The Reporting API only adds to a report: when it is down, give up sooner.
        self.reporting_deadline = reporting_deadline
        self._report_wait = report_wait
        self._http = httpx.AsyncClient(
            base_url=settings.base_url,
            auth=httpx.BasicAuth(settings.api_key_id, settings.api_key_secret.reveal()),
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "reconciler"},
        )
        self.limiter = RateLimiter(self._clock, DOCUMENTED_LIMITS if limits is None else limits)
        self._exchange = Exchange(
            self._http,
            clock=self._clock,
            limiter=self.limiter,
            rng=self._rng,
            retry_deadline=retry_deadline,
            report_wait=report_wait,
        )

    @property
    def stats(self) -> CallStats:
        return self._exchange.stats

    @property
    def clock(self) -> Clock:
        return self._clock

    async def __aenter__(self) -> SodaCloudClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"SodaCloudClient({self.settings.base_url!r}, key id {self.settings.api_key_id!r})"

    # ---- contracts: reads -------------------------------------------------------------

    async def list_contracts(self) -> list[Contract]:
        """Every contract, every page (size 1000): ceil(N/1000) calls."""
        return [
            c
            async for c in self._pages(
                Operation.LIST_CONTRACTS, CONTRACTS, Contract, {}, LIST_PAGE_SIZE
            )
        ]

    async def find_contract(self, dataset_qualified_name: str) -> Contract | None:
        response = await self._exchange.send(
            Operation.LIST_CONTRACTS,
            "GET",
            CONTRACTS,
            retry=Retry.SAFE,
            params={"datasetQualifiedName": dataset_qualified_name, "size": 10, "page": 0},
            accept=frozenset({200, 404}),
        )
        if response.status_code == 404:
            return None
        page = _parse(Page[Contract], response)
        for contract in page.content:
            if contract.dataset_qualified_name in (None, dataset_qualified_name):
                return contract
        return None

    async def get_contract(self, contract_id: str) -> Contract:
        response = await self._exchange.send(
            Operation.GET_CONTRACT, "GET", f"{CONTRACTS}/{contract_id}", retry=Retry.SAFE
        )
        return _contract_of(response)

    async def list_versions(self, contract_id: str) -> list[ContractVersion]:
        return [v async for v in self.iter_versions(contract_id)]

    async def iter_versions(
        self, contract_id: str, *, page_size: int = VERSIONS_PAGE_SIZE
    ) -> AsyncIterator[ContractVersion]:
        """Versions newest first. Pages after the first are pinned with ``createdBefore``
        just after the newest version seen, so a version published meanwhile shifts nothing."""
        path = f"{CONTRACTS}/{contract_id}/versions"
        pinned: str | None = None
        page_number = 0
        while True:
            params: dict[str, Any] = {"page": page_number, "size": page_size}
            if pinned:
                params["createdBefore"] = pinned
            response = await self._exchange.send(
                Operation.LIST_VERSIONS, "GET", path, retry=Retry.SAFE, params=params
            )
            page = _parse(Page[ContractVersion], response)
            for version in page.content:
                yield version
            if page_number == 0 and page.content and pinned is None:
                newest = parse_instant(page.content[0].created)
                if newest is not None:
                    pinned = (newest + timedelta(milliseconds=1)).isoformat().replace("+00:00", "Z")
            page_number += 1
            if page.last or not page.content or page_number >= page.total_pages:
                return

    async def latest_version(self, contract_id: str) -> ContractVersion | None:
        response = await self._exchange.send(
            Operation.LIST_VERSIONS,
            "GET",
            f"{CONTRACTS}/{contract_id}/versions",
            retry=Retry.SAFE,
            params={"page": 0, "size": 10},
        )
        page = _parse(Page[ContractVersion], response)
        return page.content[0] if page.content else None

    # ---- contracts: writes ------------------------------------------------------------

    async def create_contract(self, dataset_qualified_name: str, contents: str) -> Created:
        """Create the dataset's contract; exactly once, whatever the network does."""
        deadline = Deadline(self._clock, self._exchange_deadline())
        backoff = Backoff(self._rng)
        while True:
            try:
                response = await self._exchange.send(
                    Operation.CREATE_CONTRACT,
                    "POST",
                    CONTRACTS,
                    retry=Retry.UNSAFE,
                    json={"contents": contents, "datasetQualifiedName": dataset_qualified_name},
                    context=f"creating the contract of {dataset_qualified_name}",
                )
                return Created(_contract_of(response), existed=False)
            except NotFound as error:
                error.hint = (
                    f"Soda Cloud does not know the dataset {dataset_qualified_name}: check the name "
                    "(datasource/prefix.../table) and that its data source is onboarded in Soda Cloud."
                )
                raise
            except BadRequest as error:
                if error.code != ALREADY_EXISTS:
                    raise
                log.info("%s already has a contract: using it", dataset_qualified_name)
            except (TransportError, ServerError) as error:
                log.info(
                    "the answer to creating %s was lost (%s): looking it up",
                    dataset_qualified_name,
                    error,
                )
            existing = await self.find_contract(dataset_qualified_name)
            if existing is not None:
                return Created(existing, existed=True)
            await self._retry_pause(
                deadline, backoff, f"creating the contract of {dataset_qualified_name}"
            )

    async def publish_contract(self, contract_id: str, contents: str) -> Published:
        """Publish a new version; when the answer is lost, look before publishing again."""
        deadline = Deadline(self._clock, self._exchange_deadline())
        backoff = Backoff(self._rng)
        while True:
            try:
                response = await self._exchange.send(
                    Operation.PUBLISH,
                    "POST",
                    f"{CONTRACTS}/{contract_id}",
                    retry=Retry.UNSAFE,
                    json={"contents": contents},
                    context=f"publishing contract {contract_id}",
                )
                return Published(_contract_of(response))
            except (TransportError, ServerError) as error:
                log.info("the answer to publishing %s was lost (%s): checking", contract_id, error)
            latest = await self.latest_version(contract_id)
            if latest is not None and latest.contents == contents:
                return Published(await self.get_contract(contract_id), recovered=True)
            await self._retry_pause(deadline, backoff, f"publishing contract {contract_id}")

    async def create_skeleton(self, dataset_qualified_name: str) -> str:
        """Start skeleton generation; returns the operation id."""
        response = await self._send_once_only(
            Operation.CREATE_SKELETON,
            f"{CONTRACTS}/actions/createSkeleton",
            {"datasetQualifiedName": dataset_qualified_name},
            f"generating a skeleton for {dataset_qualified_name}",
        )
        return _operation_id(response)

    async def skeleton_status(self, operation_id: str) -> SkeletonStatus:
        response = await self._exchange.send(
            Operation.SKELETON_STATUS,
            "GET",
            f"{CONTRACTS}/actions/createSkeleton/{operation_id}",
            retry=Retry.SAFE,
        )
        return _parse(SkeletonStatus, response)

    async def wait_skeleton(self, operation_id: str) -> SkeletonStatus:
        async def fetch() -> tuple[SkeletonStatus, float | None]:
            return await self.skeleton_status(operation_id), None

        return await self._poll(fetch, lambda s: s.is_final, f"skeleton operation {operation_id}")

    async def generate(self, dataset_qualified_names: Sequence[str]) -> str:
        """Start AI generation for many datasets in one request; returns the operation id."""
        response = await self._send_once_only(
            Operation.GENERATE,
            f"{CONTRACTS}/actions/generate",
            {"datasetQualifiedNames": list(dataset_qualified_names)},
            f"generating contracts for {len(dataset_qualified_names)} datasets",
        )
        return _operation_id(response)

    async def generate_status(self, operation_id: str) -> GenerateStatus:
        response = await self._exchange.send(
            Operation.GENERATE_STATUS,
            "GET",
            f"{CONTRACTS}/actions/generate/{operation_id}",
            retry=Retry.SAFE,
        )
        return _parse(GenerateStatus, response)

    async def wait_generate(self, operation_id: str) -> GenerateStatus:
        async def fetch() -> tuple[GenerateStatus, float | None]:
            return await self.generate_status(operation_id), None

        return await self._poll(fetch, lambda s: s.is_final, f"generation operation {operation_id}")

    async def verify(self, contract_id: str, check_paths: Sequence[str] | None = None) -> str:
        """Trigger a verification scan; returns the scan id."""
        body: dict[str, Any] = {}
        if check_paths:
            body["checkPaths"] = list(check_paths)
        response = await self._send_once_only(
            Operation.VERIFY,
            f"{CONTRACTS}/{contract_id}/verify",
            body,
            f"verifying contract {contract_id}",
        )
        scan_id = response.headers.get("X-Soda-Scan-Id") or _last_segment(
            response.headers.get("Location")
        )
        if not scan_id:
            raise CloudError(
                f"Soda Cloud started a verification of {contract_id} but named no scan id"
            )
        return scan_id

    # ---- scans ------------------------------------------------------------------------

    async def scan_status(self, scan_id: str) -> tuple[ScanStatus, float | None]:
        """The scan and, when the server gives one, the clock seconds until the next poll."""
        response = await self._exchange.send(
            Operation.SCAN_STATUS, "GET", f"{SCANS}/{scan_id}", retry=Retry.SAFE
        )
        hint = next_poll_seconds(response.headers.get("X-Soda-Next-Poll-Time"), self._clock)
        return _parse(ScanStatus, response), hint

    async def wait_scan(self, scan_id: str, *, deadline: float | None = None) -> ScanStatus:
        """Poll a scan to a final state. On deadline or interruption, cancel it and say so."""

        async def fetch() -> tuple[ScanStatus, float | None]:
            return await self.scan_status(scan_id)

        try:
            return await self._poll(fetch, lambda s: s.is_final, f"scan {scan_id}", deadline)
        except DeadlineExceeded as error:
            await self.cancel_scan_quietly(scan_id)
            raise DeadlineExceeded(
                f"{error.message}; the scan was canceled",
                hint="Raise the poll deadline, or look at the scan in Soda Cloud.",
            ) from None
        except asyncio.CancelledError:
            await asyncio.shield(self.cancel_scan_quietly(scan_id))
            raise

    async def scan_logs(self, scan_id: str) -> list[ScanLog]:
        return [
            log_line
            async for log_line in self._pages(
                Operation.SCAN_LOGS, f"{SCANS}/{scan_id}/logs", ScanLog, {}, LOGS_PAGE_SIZE
            )
        ]

    async def cancel_scan(self, scan_id: str) -> bool:
        """Cancel a scan; False when it had already ended (nothing to cancel)."""
        try:
            await self._exchange.send(
                Operation.CANCEL_SCAN, "DELETE", f"{SCANS}/{scan_id}", retry=Retry.SAFE
            )
        except BadRequest:
            return False
        log.warning("canceled scan %s", scan_id)
        return True

    # ---- Reporting API ----------------------------------------------------------------

    async def coverage_checks(
        self, dataset_ids: Sequence[str] | None = None
    ) -> list[CoverageCheck] | None:
        """Every check with its dataset; None when the Reporting API has no data (yet)."""
        return await self._reporting_pages(
            Operation.COVERAGE_CHECKS, "/coverage/checks", CoverageCheck, dataset_ids
        )

    async def coverage_datasets(
        self, dataset_ids: Sequence[str] | None = None
    ) -> list[CoverageDataset] | None:
        return await self._reporting_pages(
            Operation.COVERAGE_DATASETS, "/coverage/datasets", CoverageDataset, dataset_ids
        )

    async def dataset_coverage(
        self, dataset_ids: Sequence[str] | None = None
    ) -> list[DatasetCoverageInfo] | None:
        body: dict[str, Any] = {}
        if dataset_ids is not None:
            body["dataset_ids"] = list(dataset_ids)
        response = await self._reporting_post(
            Operation.DATASET_COVERAGE, "/coverage/dataset_coverage", body
        )
        if response.status_code == 202:
            return None
        data = response.json().get("data") or {}
        return TypeAdapter(list[DatasetCoverageInfo]).validate_python(
            data.get("dataset_info") or []
        )

    async def incidents(
        self, dataset_ids: Sequence[str] | None = None, *, status: str = "unresolved"
    ) -> list[Incident] | None:
        return await self._reporting_pages(
            Operation.INCIDENTS, "/impact/incidents", Incident, dataset_ids, {"status": status}
        )

    # ---- plumbing ---------------------------------------------------------------------

    async def _pages(
        self,
        operation: Operation,
        path: str,
        model: type[ModelT],
        params: dict[str, Any],
        size: int,
    ) -> AsyncIterator[ModelT]:
        page_number = 0
        while True:
            response = await self._exchange.send(
                operation,
                "GET",
                path,
                retry=Retry.SAFE,
                params={**params, "page": page_number, "size": size},
            )
            page = _parse(Page[model], response)  # type: ignore[valid-type]
            for item in page.content:
                yield item
            page_number += 1
            if page.last or not page.content or page_number >= page.total_pages:
                return

    async def _reporting_post(
        self, operation: Operation, path: str, body: dict[str, Any]
    ) -> httpx.Response:
        return await self._exchange.send(
            operation,
            "POST",
            self.settings.reporting_url + path,
            retry=Retry.SAFE,
            json=body,
            deadline_seconds=self.reporting_deadline,
            headers={
                "X-API-KEY-ID": self.settings.api_key_id,
                "X-API-KEY-SECRET": self.settings.api_key_secret.reveal(),
            },
        )

    async def _reporting_pages(
        self,
        operation: Operation,
        path: str,
        model: type[ModelT],
        dataset_ids: Sequence[str] | None,
        extra: dict[str, Any] | None = None,
    ) -> list[ModelT] | None:
        items: list[ModelT] = []
        page_number = 1
        adapter = TypeAdapter(list[model])  # type: ignore[valid-type]
        while True:
            body: dict[str, Any] = {
                "page": page_number,
                "size": REPORTING_PAGE_SIZE,
                **(extra or {}),
            }
            if dataset_ids is not None:
                body["dataset_ids"] = list(dataset_ids)
            response = await self._reporting_post(operation, path, body)
            if response.status_code == 202:
                return None if page_number == 1 else items
            payload = response.json()
            data = payload.get("data") or []
            items.extend(adapter.validate_python(data))
            total = int(payload.get("total") or 0)
            if not data or page_number * REPORTING_PAGE_SIZE >= total:
                return items
            page_number += 1

    async def _send_once_only(
        self, operation: Operation, path: str, body: dict[str, Any], context: str
    ) -> httpx.Response:
        try:
            return await self._exchange.send(
                operation, "POST", path, retry=Retry.UNSAFE, json=body, context=context
            )
        except (TransportError, ServerError) as error:
            raise OutcomeUnknown(
                f"{context}: the request may or may not have reached Soda Cloud ({error}); "
                "it was not repeated, so nothing is started twice",
                hint="Re-run: the next plan shows what is still to do.",
            ) from None

    async def _poll(
        self,
        fetch: Callable[[], Awaitable[tuple[StatusT, float | None]]],
        is_final: Callable[[StatusT], bool],
        what: str,
        deadline_seconds: float | None = None,
    ) -> StatusT:
        deadline = Deadline(self._clock, deadline_seconds or self.poll_deadline)
        delay = POLL_FIRST
        while True:
            status, hint = await fetch()
            if is_final(status):
                return status
            wait = min(max(hint, POLL_MIN), POLL_MAX * 2) if hint is not None else delay
            delay = min(delay * 1.5, POLL_MAX)
            if not deadline.allows(wait):
                raise DeadlineExceeded(f"{what} did not finish within {deadline.seconds:.0f} s")
            await self._clock.sleep(wait)

    async def _retry_pause(self, deadline: Deadline, backoff: Backoff, what: str) -> None:
        wait = backoff.next_delay()
        if not deadline.allows(wait):
            raise DeadlineExceeded(
                f"{what}: gave up after {deadline.seconds:.0f} s",
                hint="Soda Cloud could not be reached reliably; re-running is safe.",
            )
        await self._clock.sleep(wait)

    def _exchange_deadline(self) -> float:
        return self._exchange.retry_deadline

    async def cancel_scan_quietly(self, scan_id: str) -> None:
        """Cancel a scan on the way out: a failure is logged, never raised."""
        try:
            await self.cancel_scan(scan_id)
        except (CloudError, ApiError) as error:
            log.warning("could not cancel scan %s: %s", scan_id, error)


def _parse(model: type[ModelT], response: httpx.Response) -> ModelT:
    try:
        return model.model_validate(response.json())
    except ValueError as error:
        raise CloudError(
            f"Soda Cloud answered {response.request.method} {response.request.url.path} with a "
            f"body that is not what the API documents ({type(error).__name__})",
            hint="Quote the trace id "
            + (response.headers.get("X-Soda-Trace-Id") or "-")
            + " to Soda support.",
        ) from None


def _contract_of(response: httpx.Response) -> Contract:
    body = response.json()
    payload = body.get("contract", body) if isinstance(body, dict) else body
    try:
        return Contract.model_validate(payload)
    except ValueError:
        raise CloudError(
            f"Soda Cloud answered {response.request.method} {response.request.url.path} without a contract",
        ) from None


def _operation_id(response: httpx.Response) -> str:
    operation_id = _last_segment(response.headers.get("Location"))
    if not operation_id:
        try:
            body = response.json()
        except ValueError:
            body = {}
        operation_id = body.get("operationId") if isinstance(body, dict) else None
    if not operation_id:
        raise CloudError(
            f"Soda Cloud accepted {response.request.url.path} but named no operation (no Location header)"
        )
    return str(operation_id)


def _last_segment(location: str | None) -> str | None:
    if not location:
        return None
    segment = location.rstrip("/").rsplit("/", 1)[-1]
    return segment or None


__all__ = ["Created", "Published", "SodaCloudClient"]
