"""The Soda Cloud client: one method per API operation.

Reads are retried freely. A write whose answer was lost (a reset, a lost answer, a 5xx) is
resolved inside the call, within the retry budget:
- create: look the contract up by dataset; an answer of ``dataset_contract_already_exists``
  means "it exists: use it";
- publish: read the latest version and compare its contents with what was sent before
  publishing again;
- verify: asked again (a second verification scan is harmless; rate limits still apply);
- createSkeleton, generate: look for the contract first (the lost request may have made it);
  otherwise ask again, and an answer that a generation is already in progress (the lost
  request's) is waited out by looking until the contract appears.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
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
from reconciler.cloud.retry import Backoff, Deadline, RetryBudget, next_poll_seconds
from reconciler.cloud.settings import CloudSettings, require_tls
from reconciler.errors import (
    ApiError,
    BadRequest,
    CheckPathsUnavailable,
    CloudError,
    DatasetUnknown,
    DeadlineExceeded,
    Forbidden,
    HostUnreachable,
    NotFound,
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
# The answer to a generation request while one runs for the dataset (seen from the local Soda
# Cloud; the API reference documents only "400"). Generation's refusals name it in words.
IN_PROGRESS = "operation_in_progress"
IN_PROGRESS_WORDS = "in progress"
POLL_MIN, POLL_FIRST, POLL_MAX = 1.0, 2.0, 30.0
# A verification with checkPaths in an organisation that does not have them: the local Soda
# Cloud's code (the API reference says only that they "may not be available for all
# organizations"); another server's words for it are recognised too.
CHECK_PATHS_NOT_AVAILABLE = "check_paths_not_available"
_CHECK_PATHS_WORDS = re.compile(
    r"check.?paths?\b.*\b(not|un)\s*(available|enabled|supported|allowed)", re.IGNORECASE
)


def check_paths_refused(error: ApiError) -> bool:
    """Whether Soda Cloud refused a verification because it does not take ``checkPaths``."""
    if error.code == CHECK_PATHS_NOT_AVAILABLE:
        return True
    return bool(_CHECK_PATHS_WORDS.search(f"{error.code or ''} {error.server_message or ''}"))


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


@dataclass(frozen=True)
class ScanStarted:
    """A verification scan Soda Cloud started; ``repeated`` when an earlier request lost its
    answer (or met a 5xx) and was asked again, so one more scan may run unfollowed."""

    scan_id: str
    repeated: bool = False


@dataclass(frozen=True)
class SkeletonStarted:
    """A skeleton request's outcome: the operation to follow, or, when an earlier request
    lost its answer and did the work, the contract it made (``operation_id`` is then None)."""

    operation_id: str | None
    contract: Contract | None = None
    lost_answers: int = 0


@dataclass(frozen=True)
class GenerationStarted:
    """An AI generation request's outcome.

    ``operation_id`` follows the datasets generated now (None when none was left to ask);
    ``found`` holds contracts an earlier request, whose answer was lost, made meanwhile;
    ``refused`` the datasets Soda Cloud would not generate, with its reason."""

    operation_id: str | None
    asked: tuple[str, ...] = ()
    found: Mapping[str, Contract] = field(default_factory=dict)
    refused: Mapping[str, str] = field(default_factory=dict)
    lost_answers: int = 0


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
        retry_deadline: float | None = None,
        reporting_deadline: float = 60.0,
        poll_deadline: float = 3600.0,
        report_wait: WaitReporter = log_wait,
        timeout: float = 60.0,
    ) -> None:
        if not settings.base_url:
            raise ValueError("the local Soda Cloud must be started before a client is made")
        require_tls(settings)
        self.settings = settings
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self.poll_deadline = poll_deadline
        retry_deadline = settings.retry_timeout if retry_deadline is None else retry_deadline
        # The Reporting API only adds to a report: when it is down, give up sooner.
        self.reporting_deadline = min(reporting_deadline, retry_deadline)
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

    async def find_contract(
        self, dataset_qualified_name: str, *, budget: RetryBudget | None = None
    ) -> Contract | None:
        """The dataset's contract, if it has one (``budget``: a write's own, when it looks)."""
        response = await self._exchange.send(
            Operation.LIST_CONTRACTS,
            "GET",
            CONTRACTS,
            retry=Retry.SAFE,
            params={"datasetQualifiedName": dataset_qualified_name, "size": 10, "page": 0},
            accept=frozenset({200, 404}),
            budget=budget,
        )
        if response.status_code == 404:
            return None
        page = _parse(Page[Contract], response)
        for contract in page.content:
            if contract.dataset_qualified_name in (None, dataset_qualified_name):
                return contract
        return None

    async def get_contract(
        self, contract_id: str, *, budget: RetryBudget | None = None
    ) -> Contract:
        response = await self._exchange.send(
            Operation.GET_CONTRACT,
            "GET",
            f"{CONTRACTS}/{contract_id}",
            retry=Retry.SAFE,
            budget=budget,
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

    async def latest_version(
        self, contract_id: str, *, budget: RetryBudget | None = None
    ) -> ContractVersion | None:
        response = await self._exchange.send(
            Operation.LIST_VERSIONS,
            "GET",
            f"{CONTRACTS}/{contract_id}/versions",
            retry=Retry.SAFE,
            params={"page": 0, "size": 10},
            budget=budget,
        )
        page = _parse(Page[ContractVersion], response)
        return page.content[0] if page.content else None

    # ---- contracts: writes ------------------------------------------------------------

    async def create_contract(self, dataset_qualified_name: str, contents: str) -> Created:
        """Create the dataset's contract; exactly once, whatever the network does."""
        context = f"creating the contract of {dataset_qualified_name}"
        budget = self._exchange.budget(Operation.CREATE_CONTRACT, context)
        backoff = Backoff(self._rng)
        while True:
            try:
                response = await self._exchange.send(
                    Operation.CREATE_CONTRACT,
                    "POST",
                    CONTRACTS,
                    retry=Retry.UNSAFE,
                    json={"contents": contents, "datasetQualifiedName": dataset_qualified_name},
                    context=context,
                    budget=budget,
                )
                return Created(_contract_of(response), existed=False)
            except HostUnreachable:
                raise
            except NotFound as error:
                raise dataset_unknown(error, dataset_qualified_name) from None
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
            # The look shares the write's budget: its wait for a list slot is not failing.
            existing = await self.find_contract(dataset_qualified_name, budget=budget)
            if existing is not None:
                return Created(existing, existed=True)
            await self._exchange.pause(
                Operation.CREATE_CONTRACT, backoff.next_delay(), budget, "its answer was lost"
            )

    async def publish_contract(self, contract_id: str, contents: str) -> Published:
        """Publish a new version; when the answer is lost, look before publishing again."""
        context = f"publishing contract {contract_id}"
        budget = self._exchange.budget(Operation.PUBLISH, context)
        backoff = Backoff(self._rng)
        while True:
            try:
                response = await self._exchange.send(
                    Operation.PUBLISH,
                    "POST",
                    f"{CONTRACTS}/{contract_id}",
                    retry=Retry.UNSAFE,
                    json={"contents": contents},
                    context=context,
                    budget=budget,
                )
                return Published(_contract_of(response))
            except HostUnreachable:
                raise
            except (TransportError, ServerError) as error:
                log.info("the answer to publishing %s was lost (%s): checking", contract_id, error)
            latest = await self.latest_version(contract_id, budget=budget)
            if latest is not None and latest.contents == contents:
                contract = await self.get_contract(contract_id, budget=budget)
                return Published(contract, recovered=True)
            await self._exchange.pause(
                Operation.PUBLISH, backoff.next_delay(), budget, "its answer was lost"
            )

    async def create_skeleton(self, dataset_qualified_name: str) -> SkeletonStarted:
        """Start skeleton generation; a lost answer is resolved by looking before asking again."""
        context = f"generating a skeleton for {dataset_qualified_name}"
        budget = self._exchange.budget(Operation.CREATE_SKELETON, context)
        backoff = Backoff(self._rng)
        elsewhere = _Waiting(self._clock, self.poll_deadline, context)
        while True:
            waited = False
            try:
                response = await self._exchange.send(
                    Operation.CREATE_SKELETON,
                    "POST",
                    f"{CONTRACTS}/actions/createSkeleton",
                    retry=Retry.UNSAFE,
                    json={"datasetQualifiedName": dataset_qualified_name},
                    context=context,
                    budget=budget,
                )
                return SkeletonStarted(_operation_id(response), lost_answers=budget.maybe_landed)
            except HostUnreachable:
                raise
            except NotFound as error:
                raise dataset_unknown(error, dataset_qualified_name) from None
            except BadRequest as error:
                if error.code == IN_PROGRESS:
                    # A generation runs for it (the lost request's, or a killed run's): let it end.
                    await elsewhere.wait()
                    waited = True
                elif error.code != ALREADY_EXISTS:
                    raise
            except (TransportError, ServerError) as error:
                log.info("the answer to %s was lost (%s): looking for its outcome", context, error)
            made = await self.find_contract(dataset_qualified_name, budget=budget)
            if made is not None:
                return SkeletonStarted(None, made, lost_answers=budget.maybe_landed)
            if not waited:
                await self._exchange.pause(
                    Operation.CREATE_SKELETON, backoff.next_delay(), budget, "its answer was lost"
                )

    async def generate(self, dataset_qualified_names: Sequence[str]) -> GenerationStarted:
        """Start AI generation for many datasets in one request.

        Datasets Soda Cloud refuses are left out and named in ``refused``. A lost answer is
        resolved by looking for the contracts it may have made before asking again for the
        rest; datasets whose generation is in progress (the lost request's) are waited for."""
        pending = list(dict.fromkeys(dataset_qualified_names))
        context = f"generating contracts for {len(pending)} datasets"
        budget = self._exchange.budget(Operation.GENERATE, context)
        backoff = Backoff(self._rng)
        elsewhere = _Waiting(self._clock, self.poll_deadline, context)
        found: dict[str, Contract] = {}
        refused: dict[str, str] = {}
        while pending:
            waited = False
            try:
                response = await self._exchange.send(
                    Operation.GENERATE,
                    "POST",
                    f"{CONTRACTS}/actions/generate",
                    retry=Retry.UNSAFE,
                    json={"datasetQualifiedNames": pending},
                    context=context,
                    budget=budget,
                )
                return GenerationStarted(
                    _operation_id(response), tuple(pending), found, refused, budget.maybe_landed
                )
            except HostUnreachable:
                raise
            except BadRequest as error:
                reasons = refusals(error.server_message or "", pending)
                if not reasons:
                    raise
                busy = {n for n, why in reasons.items() if IN_PROGRESS_WORDS in why.lower()}
                refused |= {n: why for n, why in reasons.items() if n not in busy}
                pending = [n for n in pending if n not in refused]
                if busy:
                    await elsewhere.wait()
                    waited = True
                elif not budget.maybe_landed:
                    continue  # refused outright, nothing lost: ask for the rest at once
            except (TransportError, ServerError) as error:
                log.info("the answer to %s was lost (%s): looking for its outcome", context, error)
            made = await self._contracts_of(pending, budget)
            found |= made
            pending = [n for n in pending if n not in made]
            if pending and not waited:
                await self._exchange.pause(
                    Operation.GENERATE, backoff.next_delay(), budget, "its answer was lost"
                )
        return GenerationStarted(None, (), found, refused, budget.maybe_landed)

    async def _contracts_of(self, names: Sequence[str], budget: RetryBudget) -> dict[str, Contract]:
        """The contracts of these datasets that exist: one look each, or one list for many."""
        if len(names) <= 2:
            looked = await asyncio.gather(*(self.find_contract(n, budget=budget) for n in names))
            return {n: c for n, c in zip(names, looked, strict=True) if c is not None}
        wanted = set(names)
        return {
            c.dataset_qualified_name: c
            for c in await self.list_contracts()
            if c.dataset_qualified_name in wanted
        }

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

    async def verify(
        self, contract_id: str, check_paths: Sequence[str] | None = None
    ) -> ScanStarted:
        """Trigger a verification scan (of only the checks at ``check_paths``, when given).
        A lost answer or a 5xx is asked again, within the rate limit: a second scan is
        harmless, a verification never made is not. An organisation that cannot limit a
        verification to some checks answers :class:`CheckPathsUnavailable`."""
        body: dict[str, Any] = {}
        if check_paths:
            body["checkPaths"] = list(check_paths)
        context = f"verifying contract {contract_id}"
        budget = self._exchange.budget(Operation.VERIFY, context)
        try:
            response = await self._exchange.send(
                Operation.VERIFY,
                "POST",
                f"{CONTRACTS}/{contract_id}/verify",
                retry=Retry.SAFE,
                json=body,
                context=context,
                budget=budget,
            )
        except (BadRequest, Forbidden) as error:
            if check_paths and check_paths_refused(error):
                raise CheckPathsUnavailable(
                    status=error.status,
                    method=error.method,
                    path=error.path,
                    code=error.code,
                    server_message=error.server_message,
                    trace_id=error.trace_id,
                    context=context,
                ) from None
            raise
        scan_id = response.headers.get("X-Soda-Scan-Id") or _last_segment(
            response.headers.get("Location")
        )
        if not scan_id:
            raise CloudError(
                f"Soda Cloud started a verification of {contract_id} but named no scan id"
            )
        return ScanStarted(scan_id, repeated=budget.maybe_landed > 0)

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
        self, dataset_ids: Sequence[str] | None = None, *, deadline: float | None = None
    ) -> list[CoverageDataset] | None:
        """Every dataset Soda Cloud knows; ``deadline``: clock seconds of retries allowed."""
        return await self._reporting_pages(
            Operation.COVERAGE_DATASETS,
            "/coverage/datasets",
            CoverageDataset,
            dataset_ids,
            deadline=deadline,
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
        self,
        operation: Operation,
        path: str,
        body: dict[str, Any],
        deadline: float | None = None,
    ) -> httpx.Response:
        return await self._exchange.send(
            operation,
            "POST",
            self.settings.reporting_url + path,
            retry=Retry.SAFE,
            json=body,
            deadline_seconds=min(deadline or self.reporting_deadline, self.reporting_deadline),
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
        *,
        deadline: float | None = None,
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
            response = await self._reporting_post(operation, path, body, deadline)
            if response.status_code == 202:
                return None if page_number == 1 else items
            payload = response.json()
            data = payload.get("data") or []
            items.extend(adapter.validate_python(data))
            total = int(payload.get("total") or 0)
            if not data or page_number * REPORTING_PAGE_SIZE >= total:
                return items
            page_number += 1

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

    async def cancel_scan_quietly(self, scan_id: str) -> None:
        """Cancel a scan on the way out: a failure is logged, never raised."""
        try:
            await self.cancel_scan(scan_id)
        except (CloudError, ApiError) as error:
            log.warning("could not cancel scan %s: %s", scan_id, error)


class _Waiting:
    """Waits out a generation that runs elsewhere (the lost request's), polling with a
    growing pause, up to the poll deadline."""

    def __init__(self, clock: Clock, seconds: float, what: str) -> None:
        self._clock = clock
        self._seconds = seconds
        self._what = what
        self._deadline: Deadline | None = None
        self._delay = POLL_FIRST

    async def wait(self) -> None:
        if self._deadline is None:
            self._deadline = Deadline(self._clock, self._seconds)
        if not self._deadline.allows(self._delay):
            raise DeadlineExceeded(
                f"{self._what}: a generation already in progress did not finish within "
                f"{self._seconds:.0f} s",
                hint="Look at the dataset in Soda Cloud; re-run apply when it is done.",
            )
        await self._clock.sleep(self._delay)
        self._delay = min(self._delay * 1.5, POLL_MAX)


def dataset_unknown(error: NotFound, dataset: str) -> DatasetUnknown:
    """A 404 to creating or generating: Soda Cloud does not know the dataset."""
    return DatasetUnknown(
        status=error.status,
        method=error.method,
        path=error.path,
        code=error.code,
        server_message=error.server_message,
        trace_id=error.trace_id,
        context=error.context,
        hint=f"Soda Cloud does not know the dataset {dataset}: check the name "
        "(datasource/prefix.../table) and that its data source is onboarded in Soda Cloud. "
        "Re-running does not help until it is.",
    )


def refusals(message: str, names: Sequence[str]) -> dict[str, str]:
    """The datasets a generation refusal names, each with its reason, read from the server's
    message (``"...: a/b/c: is not connected; d/e/f: has a generation in progress"``)."""
    found: dict[str, str] = {}
    for name in names:
        match = re.search(rf"(?:^|[\s;]){re.escape(name)}:", message)
        if match is not None:
            found[name] = message[match.end() :].split(";", 1)[0].strip()
    return found


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


__all__ = [
    "Created",
    "GenerationStarted",
    "Published",
    "ScanStarted",
    "SkeletonStarted",
    "SodaCloudClient",
]
