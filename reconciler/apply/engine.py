"""Executing a plan: every dataset at once, each lane of Soda Cloud's rate limits kept busy.

Each dataset runs as its own task: create (or generate a skeleton) -> publish when needed ->
verify -> record. The tasks meet only at the client's rate-limit lanes (create and publish
100 a minute, verify and createSkeleton 10, scan status 60 shared by all scans), which serve
them first come, first served; so a slow lane never holds up a fast one, and no lane waits on
another without need.

Crash safety: the state is saved after every successful change in Soda Cloud. A dataset that
will be verified gets a *pending verification* record before its first change, so an apply
killed at any moment is resumed by the next one: what already matches is adopted, and the
verification still happens. Ctrl-C or SIGTERM cancels the tasks: running scans are canceled in
Soda Cloud, nothing new starts, and the state already holds every completed step.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from reconciler.apply.result import (
    ApplyResult,
    DatasetOutcome,
    Recovery,
    Status,
    VerificationOutcome,
)
from reconciler.cloud.client import GenerationStarted, SodaCloudClient
from reconciler.cloud.dto import Contract, DatasetGeneration, ScanStatus
from reconciler.contract import parse_contract_text
from reconciler.desired import DesiredContract, DesiredState, is_stub_on_disk
from reconciler.errors import (
    CloudError,
    NotFound,
    OperationFailed,
    ReconcilerError,
    StalePlan,
)
from reconciler.files import write_file
from reconciler.plan.model import DatasetPlan, Plan
from reconciler.plan.vocabulary import Action
from reconciler.state import DatasetRecord, Journal, PendingVerification, Verification

log = logging.getLogger("reconciler.apply")

FAILING_EVALUATIONS = frozenset({"fail", "error"})


class Progress(Protocol):
    """Where apply says what it is doing (a live line on a terminal, log lines otherwise)."""

    def step(self, dataset: str, what: str) -> None: ...

    def finished(self, outcome: DatasetOutcome) -> None: ...


class SilentProgress:
    def step(self, dataset: str, what: str) -> None:
        log.info("%s: %s", dataset, what)

    def finished(self, outcome: DatasetOutcome) -> None:
        log.info("%s: %s", outcome.dataset, outcome.status.value)


@dataclass(frozen=True)
class ApplyOptions:
    generate: Literal["skeleton", "ai"] = "skeleton"
    fail_fast: bool = False
    scan_deadline: float = 3600.0  # clock seconds a verification may take


@dataclass
class _Run:
    """One dataset's progress, turned into its outcome at the end."""

    entry: DatasetPlan
    done: list[str] = field(default_factory=list)
    verification: VerificationOutcome | None = None
    started: bool = False
    recoveries: list[Recovery] = field(default_factory=list)


async def apply_plan(
    plan: Plan,
    desired: DesiredState,
    client: SodaCloudClient,
    journal: Journal,
    *,
    options: ApplyOptions = ApplyOptions(),
    progress: Progress | None = None,
) -> ApplyResult:
    """Apply ``plan``. Returns what was done, also when interrupted (then ``interrupted``)."""
    executor = _Executor(plan, desired, client, journal, options, progress or SilentProgress())
    return await executor.run()


class _Executor:
    def __init__(
        self,
        plan: Plan,
        desired: DesiredState,
        client: SodaCloudClient,
        journal: Journal,
        options: ApplyOptions,
        progress: Progress,
    ) -> None:
        self.plan = plan
        self.desired = desired
        self.client = client
        self.journal = journal
        self.options = options
        self.progress = progress
        self.clock = client.clock
        self.stopping = False
        self.runs = {e.dataset: _Run(e) for e in plan.datasets if e.changed}
        self.outcomes: dict[str, DatasetOutcome] = {}
        self.tasks: list[asyncio.Future[None]] = []

    async def run(self) -> ApplyResult:
        started = self._now()
        stubs = [
            r.entry
            for r in self.runs.values()
            if r.entry.action is Action.GENERATE_SKELETON
            and r.entry.remote is None
            and self.options.generate == "ai"
        ]
        # Adopting changes nothing in Soda Cloud: record them all in one save.
        adopts = [
            r.entry
            for r in self.runs.values()
            if r.entry.action is Action.ADOPT and not r.entry.verify
        ]
        if adopts:
            await self.journal.records(
                {e.dataset: self._adopted(e, self.desired.contracts[e.dataset]) for e in adopts}
            )
            for entry in adopts:
                self.runs[entry.dataset].done.append("adopted (recorded in the state)")
                self._finish(entry, self.runs[entry.dataset])
        apart = {e.dataset for e in stubs} | {e.dataset for e in adopts}
        others = [r.entry for r in self.runs.values() if r.entry.dataset not in apart]
        self.tasks = [asyncio.ensure_future(self._dataset(e)) for e in others]
        if stubs:
            self.tasks.append(asyncio.ensure_future(self._generate_all(stubs)))
        interrupted = False
        try:
            results = await asyncio.gather(*self.tasks, return_exceptions=True)
        except asyncio.CancelledError:
            interrupted = True
            self.stopping = True
            for task in self.tasks:
                task.cancel()
            # Let every task run its cleanup (canceling its scan) before reporting.
            await asyncio.gather(*self.tasks, return_exceptions=True)
        else:
            for outcome in results:
                if isinstance(outcome, Exception):
                    raise outcome  # a defect, not a Soda Cloud or user problem
        # An update made just before an interruption may still be waiting for its write.
        await self.journal.flush()
        return ApplyResult(
            started=started,
            finished=self._now(),
            cloud_host=self.client.settings.host,
            plan_created=self.plan.created,
            datasets=tuple(self._outcome(e, interrupted) for e in self.plan.datasets if e.changed),
            interrupted=interrupted,
            stopped_early=self.stopping and not interrupted,
            calls={op.value: n for op, n in sorted(self.client.stats.calls.items())},
            throttled={op.value: n for op, n in sorted(self.client.stats.throttled.items())},
        )

    # ---- one dataset ------------------------------------------------------------------

    async def _dataset(self, entry: DatasetPlan) -> None:
        run = self.runs[entry.dataset]
        if self.stopping:
            return
        run.started = True
        try:
            contract_id = await self._change(entry, run)
            if entry.verify and contract_id is not None:
                await self._verify(entry, run, contract_id)
        except ReconcilerError as error:
            self._fail(entry, run, error)
        else:
            self._finish(entry, run)

    async def _change(self, entry: DatasetPlan, run: _Run) -> str | None:
        """The change in Soda Cloud (and its record); returns the contract id to verify."""
        file = self.desired.contracts[entry.dataset]
        if entry.verify and entry.action is not Action.NOOP:
            await self._owe_verification(entry.dataset, file.raw_sha256)
        if entry.action is Action.CREATE:
            return await self._create(file, run)
        if entry.action is Action.GENERATE_SKELETON:
            if entry.remote is not None:  # generated already: only the write-back is left
                return await self._write_generated(
                    file, run, "wrote Soda Cloud's contract into {path}"
                )
            return await self._skeleton(file, run)
        if entry.action is Action.PUBLISH:
            assert entry.remote is not None
            self.progress.step(entry.dataset, "publishing")
            published = await self.client.publish_contract(entry.remote.contract_id, file.raw_text)
            await self._record(entry.dataset, published.contract, file.raw_text)
            run.done.append("published")
            if published.recovered:
                run.recoveries.append(Recovery.PUBLISH_LANDED)
            return published.contract.id
        if entry.action is Action.ADOPT:
            assert entry.remote is not None
            await self.journal.record(entry.dataset, self._adopted(entry, file))
            run.done.append("adopted (recorded in the state)")
            return entry.remote.contract_id
        return entry.remote.contract_id if entry.remote is not None else None

    async def _create(self, file: DesiredContract, run: _Run) -> str:
        self.progress.step(file.dataset, "creating")
        created = await self.client.create_contract(file.dataset, file.raw_text)
        contract = created.contract
        run.done.append(
            "found its contract already in Soda Cloud" if created.existed else "created"
        )
        if contract.contents != file.raw_text:
            # Soda Cloud stored a template, or someone else's contract: publish git's.
            self.progress.step(file.dataset, "publishing")
            published = await self.client.publish_contract(contract.id, file.raw_text)
            contract = published.contract
            run.done.append("published")
            if published.recovered:
                run.recoveries.append(Recovery.PUBLISH_LANDED)
        await self._record(file.dataset, contract, file.raw_text)
        return contract.id

    async def _skeleton(self, file: DesiredContract, run: _Run) -> str:
        self.progress.step(file.dataset, "generating a skeleton")
        started = await self.client.create_skeleton(file.dataset)
        made = started.contract
        if made is not None:
            run.recoveries.append(Recovery.CONTRACT_FOUND)
        elif started.operation_id is not None:
            status = await self.client.wait_skeleton(started.operation_id)
            if status.state != "completed":
                # It also ends "failed" when the contract appeared meanwhile (an earlier
                # request's generation made it): only no contract at all is a failure.
                made = await self.client.find_contract(file.dataset)
                if made is None:
                    raise OperationFailed(
                        f"skeleton generation for {file.dataset} ended {status.state}",
                        hint="Check in Soda Cloud that the dataset is connected to an agent "
                        "and has no contract.",
                    )
        return await self._write_generated(
            file, run, "generated a skeleton and wrote it into {path}", made
        )

    async def _write_generated(
        self, file: DesiredContract, run: _Run, what: str, found: Contract | None = None
    ) -> str:
        contract = found or await self.client.find_contract(file.dataset)
        if contract is None or contract.contents is None:
            raise OperationFailed(
                f"Soda Cloud finished generating {file.dataset} but has no contract for it",
                hint="Re-run apply; the plan shows what is left.",
            )
        if not is_stub_on_disk(file.path):
            # Checked against the disk at the last moment: a person may have filled the stub
            # in while the skeleton was being made, and those lines are not Soda Cloud's.
            raise StalePlan(
                f"{file.display_path} is no longer a stub: Soda Cloud's generated contract was "
                "not written over it",
                hint="The file was left as it is. Run `reconciler plan` again: it shows what "
                "is left to do (publishing the file over the generated contract).",
            )
        # Never through a link: the write-back stays the file the folder holds.
        relative = file.path.relative_to(self.desired.root).as_posix()
        write_file(self.desired.root, relative, contract.contents.encode("utf-8"))
        await self._record(file.dataset, contract, contract.contents)
        run.done.append(what.format(path=file.display_path))
        return contract.id

    # ---- AI generation: every stub in one request -----------------------------------------

    async def _generate_all(self, entries: Sequence[DatasetPlan]) -> None:
        names = [e.dataset for e in entries]
        for entry in entries:
            self.runs[entry.dataset].started = True
        try:
            started = await self.client.generate(names)
            for name, reason in started.refused.items():
                self._fail(
                    self.runs[name].entry,
                    self.runs[name],
                    OperationFailed(
                        f"Soda Cloud cannot generate a contract for {name}: {reason}",
                        hint="The dataset must be connected to an agent and have no contract.",
                    ),
                )
            scans = await self._generation_scans(started)
        except ReconcilerError as error:
            for name in names:
                if name not in self.outcomes:
                    self._fail(self.runs[name].entry, self.runs[name], error)
            return
        for name in started.found:
            self.runs[name].recoveries.append(Recovery.CONTRACT_FOUND)
        made = [*started.asked, *started.found]
        await asyncio.gather(*(self._generated(self.runs[n], scans.get(n)) for n in made))

    async def _generation_scans(self, started: GenerationStarted) -> dict[str, DatasetGeneration]:
        if started.operation_id is None:
            return {}
        status = await self.client.wait_generate(started.operation_id)
        return {
            d.dataset_qualified_name: d for d in status.datasets or [] if d.dataset_qualified_name
        }

    async def _generated(self, run: _Run, generation: DatasetGeneration | None) -> None:
        entry = run.entry
        file = self.desired.contracts[entry.dataset]
        try:
            scan_id = generation.scan_id if generation is not None else None
            if scan_id:
                self.progress.step(entry.dataset, "following its generation scan")
                scan = await self.client.wait_scan(scan_id, deadline=self.options.scan_deadline)
                run.done.append(f"generation scan {scan.state}")
            contract_id = await self._write_generated(
                file, run, "generated a contract and wrote it into {path}"
            )
            if entry.verify:
                await self._verify(entry, run, contract_id)
        except ReconcilerError as error:
            self._fail(entry, run, error)
        else:
            self._finish(entry, run)

    # ---- verification -----------------------------------------------------------------

    async def _verify(self, entry: DatasetPlan, run: _Run, contract_id: str) -> None:
        if self.stopping:
            return
        file = self.desired.contracts[entry.dataset]
        scan_id = entry.resume_scan_id
        if scan_id is not None:
            try:
                earlier, _ = await self.client.scan_status(scan_id)
            except NotFound:
                scan_id = None
            else:
                if earlier.state == "canceled":
                    scan_id = None  # the interrupted apply canceled it: verify afresh
                else:
                    self.progress.step(
                        entry.dataset,
                        f"following verification scan {scan_id}, started by an earlier apply",
                    )
        if scan_id is None:
            await self._owe_verification(entry.dataset, file.raw_sha256)
            self.progress.step(entry.dataset, "verifying")
            started = await self.client.verify(contract_id)
            scan_id = started.scan_id
            if started.repeated:
                run.recoveries.append(Recovery.VERIFY_REPEATED)
            try:
                await self.journal.pending(
                    entry.dataset,
                    PendingVerification(
                        raw_sha256=file.raw_sha256, scan_id=scan_id, since=self.clock.now()
                    ),
                )
            except asyncio.CancelledError:
                # Interrupted after the scan started but before following it: wait_scan would
                # cancel it, so this must too, or it runs on in Soda Cloud unowned.
                await asyncio.shield(self.client.cancel_scan_quietly(scan_id))
                raise
        status = await self.client.wait_scan(scan_id, deadline=self.options.scan_deadline)
        run.verification = await self._verification(status)
        await self.journal.verified(
            entry.dataset,
            Verification(
                cloud_url=status.cloud_url, scan_id=status.id, state=status.state, time=self._now()
            ),
        )
        run.done.append(f"verified: {status.state}")

    async def _verification(self, status: ScanStatus) -> VerificationOutcome:
        failing = tuple(
            c.id or "?" for c in status.checks if (c.evaluation_status or "") in FAILING_EVALUATIONS
        )
        warning = tuple(c.id or "?" for c in status.checks if c.evaluation_status == "warn")
        error_lines: tuple[str, ...] = ()
        if not status.passed:
            try:
                logs = await self.client.scan_logs(status.id)
                error_lines = tuple(line.message for line in logs if line.level == "error")
            except CloudError as error:
                error_lines = (f"(the scan logs could not be read: {error})",)
        counts = {
            name: value
            for name, value in (
                ("errors", status.errors),
                ("failures", status.failures),
                ("warnings", status.warnings),
            )
            if value
        }
        return VerificationOutcome(
            scan_id=status.id,
            state=status.state,
            passed=status.passed,
            cloud_url=status.cloud_url,
            failing_checks=failing,
            warning_checks=warning,
            error_lines=error_lines,
            counts=counts,
        )

    # ---- records and outcomes ---------------------------------------------------------

    async def _owe_verification(self, dataset: str, raw_sha256: str) -> None:
        current = self.journal.state.pending.get(dataset)
        if current is None or current.raw_sha256 != raw_sha256:
            await self.journal.pending(
                dataset, PendingVerification(raw_sha256=raw_sha256, since=self.clock.now())
            )

    async def _record(self, dataset: str, contract: Contract, text: str) -> None:
        parsed = parse_contract_text(text, dataset, allow_stub=True)
        await self.journal.record(
            dataset,
            DatasetRecord.applied(
                at=self.clock.now(),
                contract_id=contract.id,
                dataset_id=contract.dataset_id,
                last_updated=contract.last_updated,
                raw_sha256=parsed.raw_sha256,
                semantic_fingerprint=parsed.semantic_fingerprint,
                previous=self.journal.state.datasets.get(dataset),
            ),
        )

    def _adopted(self, entry: DatasetPlan, file: DesiredContract) -> DatasetRecord:
        assert entry.remote is not None
        return DatasetRecord.applied(
            at=self.clock.now(),
            contract_id=entry.remote.contract_id,
            dataset_id=entry.remote.dataset_id,
            last_updated=entry.remote.last_updated,
            checksum=entry.remote.checksum,
            version_id=entry.remote.version_id,
            raw_sha256=file.raw_sha256,
            semantic_fingerprint=file.semantic_fingerprint,
            previous=self.journal.state.datasets.get(entry.dataset),
        )

    def _finish(self, entry: DatasetPlan, run: _Run) -> None:
        verification = run.verification
        if verification is None:
            status = Status.APPLIED
        elif not verification.passed:
            status = Status.VERIFY_FAILED
        elif verification.state == "completedWithWarnings":
            status = Status.WARNED
        else:
            status = Status.APPLIED
        outcome = DatasetOutcome(
            dataset=entry.dataset,
            action=entry.action,
            status=status,
            done=tuple(run.done),
            verification=verification,
            recoveries=tuple(run.recoveries),
        )
        self.outcomes[entry.dataset] = outcome
        self.progress.finished(outcome)
        if status is Status.VERIFY_FAILED:
            self._stop_if_fail_fast()

    def _fail(self, entry: DatasetPlan, run: _Run, error: ReconcilerError) -> None:
        outcome = DatasetOutcome(
            dataset=entry.dataset,
            action=entry.action,
            status=Status.FAILED,
            done=tuple(run.done),
            verification=run.verification,
            error=str(error),
            hint=error.hint,
            needs_fix=not error.cured_by_rerun,
            recoveries=tuple(run.recoveries),
        )
        self.outcomes[entry.dataset] = outcome
        self.progress.finished(outcome)
        self._stop_if_fail_fast()

    def _stop_if_fail_fast(self) -> None:
        """--fail-fast: stop every other dataset where it stands (running scans are canceled)."""
        if not self.options.fail_fast or self.stopping:
            return
        self.stopping = True
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current and not task.done():
                task.cancel()

    def _outcome(self, entry: DatasetPlan, interrupted: bool) -> DatasetOutcome:
        if entry.dataset in self.outcomes:
            return self.outcomes[entry.dataset]
        run = self.runs[entry.dataset]
        why = (
            "stopped by --fail-fast"
            if self.options.fail_fast and not interrupted
            else "interrupted"
        )
        return DatasetOutcome(
            dataset=entry.dataset,
            action=entry.action,
            status=Status.FAILED if run.started else Status.NOT_STARTED,
            done=tuple(run.done),
            verification=run.verification,
            error=why if run.started else None,
            recoveries=tuple(run.recoveries),
        )

    def _now(self) -> str:
        return self.clock.now().isoformat(timespec="seconds").replace("+00:00", "Z")
