"""What apply does for each action: the one place that says it, step by step.

| action | lane | steps |
|---|---|---|
| ``create`` | alone | create; publish git's text if Soda Cloud stored another; record |
| ``generate-skeleton`` | alone | ask for a skeleton (or find the one a lost request made), wait for it, write it into the stub file, record |
| ``generate-skeleton`` with ``--generate ai`` | together | one generation request for every such stub, then per dataset: follow its scan, write the contract into the file, record |
| ``generate-skeleton`` with a contract already | alone | write Soda Cloud's contract into the stub file, record |
| ``publish`` | alone | publish; record |
| ``adopt`` | together (alone when it verifies) | record: every adopt in one save, as nothing changes in Soda Cloud |
| ``no-op`` | alone | nothing (it is in the plan to be verified) |

An entry that verifies owes its verification before its first change (a *pending
verification* in the state, so that an apply killed at any moment is resumed), then verifies
after it: it follows the scan an interrupted apply started, or starts one (of the checks the
plan names with ``--verify changed-checks``, else of the whole contract), waits for it,
reads the logs of a failure and records the result.

Each step is an effect (Soda Cloud, the journal, the file); what to run, in what order, and
what happens on a failure or an interruption is the executor's (:mod:`reconciler.apply.executor`).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from reconciler.apply.options import Activity, ApplyOptions, Progress
from reconciler.apply.result import Done, DoneStep, Recovery, VerificationOutcome
from reconciler.clock import timestamp
from reconciler.cloud.client import GenerationStarted, ScanStarted, SodaCloudClient
from reconciler.cloud.dto import Contract, DatasetGeneration, ScanStatus
from reconciler.contract import parse_contract_text
from reconciler.desired import DesiredContract, DesiredState, is_stub_on_disk
from reconciler.desired.environment import NotRendered, shared_text
from reconciler.errors import (
    CheckPathsUnavailable,
    CloudError,
    NotFound,
    OperationFailed,
    StalePlan,
)
from reconciler.files import write_file
from reconciler.plan.model import DatasetPlan
from reconciler.plan.vocabulary import Action
from reconciler.state import DatasetRecord, Journal, PendingVerification, Verification

FAILING_EVALUATIONS = frozenset({"fail", "error"})


class Lane(enum.Enum):
    """How an entry is scheduled: on its own, or together with others of its kind."""

    ALONE = "alone"
    ADOPT_TOGETHER = "adopt-together"
    GENERATE_TOGETHER = "generate-together"


def lane(entry: DatasetPlan, options: ApplyOptions) -> Lane:
    if entry.action is Action.ADOPT and not entry.verify:
        return Lane.ADOPT_TOGETHER
    generating = entry.action is Action.GENERATE_SKELETON and entry.remote is None
    if generating and options.generate == "ai":
        return Lane.GENERATE_TOGETHER
    return Lane.ALONE


@dataclass
class DatasetRun:
    """One dataset's progress, turned into its outcome at the end."""

    entry: DatasetPlan
    done: list[Done] = field(default_factory=list)
    verification: VerificationOutcome | None = None
    started: bool = False
    recoveries: list[Recovery] = field(default_factory=list)
    # The checks its scan was asked to run; None: the whole contract.
    check_paths: tuple[str, ...] | None = None


class Steps:
    """The steps of one apply, over its client, journal and folder."""

    def __init__(
        self,
        desired: DesiredState,
        client: SodaCloudClient,
        journal: Journal,
        options: ApplyOptions,
        progress: Progress,
    ) -> None:
        self.desired = desired
        self.client = client
        self.journal = journal
        self.options = options
        self.progress = progress
        self.clock = client.clock
        # Soda Cloud refused checkPaths once in this run: every later scan verifies whole.
        self.check_paths_unavailable = False

    async def change(self, run: DatasetRun) -> str | None:
        """The entry's change in Soda Cloud (and its record); the contract id to verify."""
        entry = run.entry
        if entry.verify and entry.action is not Action.NOOP:
            await self.owe_verification(self.file(entry))
        return await ACTIONS[entry.action](self, run)

    def file(self, entry: DatasetPlan) -> DesiredContract:
        return self.desired.contracts[entry.dataset]

    # ---- one step per action ----------------------------------------------------------

    async def create(self, run: DatasetRun) -> str:
        file = self.file(run.entry)
        self.progress.step(file.dataset, Activity.CREATING)
        created = await self.client.create_contract(file.dataset, file.raw_text)
        contract = created.contract
        run.done.append(Done(step=DoneStep.FOUND if created.existed else DoneStep.CREATED))
        if contract.contents != file.raw_text:
            # Soda Cloud stored a template, or someone else's contract: publish git's.
            contract = await self._publish(run, contract.id)
            run.done.append(Done(step=DoneStep.PUBLISHED))
        await self.record(file.dataset, contract, file.raw_text)
        self.said_overwritten(run)
        return contract.id

    async def skeleton(self, run: DatasetRun) -> str:
        file = self.file(run.entry)
        if run.entry.remote is not None:  # generated already: only the write-back is left
            return await self.write_generated(run, DoneStep.CONTRACT_WRITTEN)
        self.progress.step(file.dataset, Activity.GENERATING_SKELETON)
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
        return await self.write_generated(run, DoneStep.SKELETON_WRITTEN, made)

    async def publish(self, run: DatasetRun) -> str:
        file = self.file(run.entry)
        assert run.entry.remote is not None
        contract = await self._publish(run, run.entry.remote.contract_id)
        await self.record(file.dataset, contract, file.raw_text)
        run.done.append(Done(step=DoneStep.PUBLISHED))
        self.said_overwritten(run)
        return contract.id

    def said_overwritten(self, run: DatasetRun) -> None:
        """A publish over drift replaced a change made in Soda Cloud: the report says so."""
        if run.entry.drift is not None:
            run.done.append(Done(step=DoneStep.DRIFT_OVERWRITTEN))

    async def adopt(self, run: DatasetRun) -> str:
        assert run.entry.remote is not None
        await self.journal.record(run.entry.dataset, self.adopted(run.entry))
        run.done.append(Done(step=DoneStep.ADOPTED))
        return run.entry.remote.contract_id

    async def nothing(self, run: DatasetRun) -> str | None:
        return run.entry.remote.contract_id if run.entry.remote is not None else None

    async def adopt_together(self, runs: Iterable[DatasetRun]) -> None:
        """Adopts that verify nothing: all recorded in one save."""
        runs = list(runs)
        await self.journal.records({r.entry.dataset: self.adopted(r.entry) for r in runs})
        for run in runs:
            run.done.append(Done(step=DoneStep.ADOPTED))

    async def _publish(self, run: DatasetRun, contract_id: str) -> Contract:
        file = self.file(run.entry)
        self.progress.step(file.dataset, Activity.PUBLISHING)
        published = await self.client.publish_contract(contract_id, file.raw_text)
        if published.recovered:
            run.recoveries.append(Recovery.PUBLISH_LANDED)
        return published.contract

    async def write_generated(
        self, run: DatasetRun, what: DoneStep, found: Contract | None = None
    ) -> str:
        """Soda Cloud's generated contract written into the stub file, and recorded."""
        file = self.file(run.entry)
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
        write_file(self.desired.root, relative, self.shared(contract.contents).encode("utf-8"))
        await self.record(file.dataset, contract, contract.contents)
        run.done.append(Done(step=what, path=file.display_path))
        return contract.id

    def shared(self, text: str) -> str:
        """Soda Cloud's text as the shared folder holds it: in an environment, the dataset
        gets the name the folder gives it again."""
        environment = self.desired.environment
        if environment is None:
            return text
        try:
            return shared_text(text, environment)
        except NotRendered as why:
            raise OperationFailed(
                f"Soda Cloud's contract cannot be written into the folder: {why}",
                hint="Write the file by hand; the plan shows what differs.",
            ) from None

    # ---- AI generation: every stub in one request -------------------------------------

    async def request_generation(self, names: list[str]) -> GenerationStarted:
        """One generation request for every dataset of ``names``."""
        return await self.client.generate(names)

    async def generation_scans(self, started: GenerationStarted) -> dict[str, DatasetGeneration]:
        """The request waited for: each dataset's generation (with its scan), by name."""
        if started.operation_id is None:
            return {}
        status = await self.client.wait_generate(started.operation_id)
        return {
            d.dataset_qualified_name: d for d in status.datasets or [] if d.dataset_qualified_name
        }

    async def generated(self, run: DatasetRun, generation: DatasetGeneration | None) -> str:
        """A dataset of a generation request: its scan followed, its contract written."""
        scan_id = generation.scan_id if generation is not None else None
        if scan_id:
            self.progress.step(run.entry.dataset, Activity.FOLLOWING_GENERATION_SCAN)
            scan = await self.client.wait_scan(scan_id, deadline=self.options.scan_deadline)
            run.done.append(Done(step=DoneStep.GENERATION_SCAN, state=scan.state))
        return await self.write_generated(run, DoneStep.GENERATED_WRITTEN)

    # ---- verification -----------------------------------------------------------------

    async def verify(self, run: DatasetRun, contract_id: str) -> None:
        """Follow the scan an interrupted apply started for this file, or start one; wait for
        it and record the result."""
        entry, file = run.entry, self.file(run.entry)
        scan_id = await self._earlier_scan(entry)
        if scan_id is None:
            scan_id = await self._start_scan(run, file, contract_id)
        status = await self.client.wait_scan(scan_id, deadline=self.options.scan_deadline)
        run.verification = await self._verification(status, run.check_paths)
        await self.journal.verified(
            entry.dataset,
            Verification(
                cloud_url=status.cloud_url,
                scan_id=status.id,
                state=status.state,
                time=timestamp(self.clock),
            ),
        )
        run.done.append(Done(step=DoneStep.VERIFIED, state=status.state))

    async def _earlier_scan(self, entry: DatasetPlan) -> str | None:
        """The scan an interrupted apply started, if it still runs or ran."""
        scan_id = entry.resume_scan_id
        if scan_id is None:
            return None
        try:
            earlier, _ = await self.client.scan_status(scan_id)
        except NotFound:
            return None
        if earlier.state == "canceled":
            return None  # the interrupted apply canceled it: verify afresh
        self.progress.step(entry.dataset, Activity.FOLLOWING_EARLIER_SCAN, scan_id)
        return scan_id

    async def _start_scan(self, run: DatasetRun, file: DesiredContract, contract_id: str) -> str:
        await self.owe_verification(file)
        self.progress.step(file.dataset, Activity.VERIFYING)
        started = await self._verify_checks(run, contract_id)
        if started.repeated:
            run.recoveries.append(Recovery.VERIFY_REPEATED)
        try:
            await self.journal.pending(
                file.dataset,
                PendingVerification(
                    raw_sha256=file.raw_sha256, scan_id=started.scan_id, since=self.clock.now()
                ),
            )
        except asyncio.CancelledError:
            # Interrupted after the scan started but before following it: wait_scan would
            # cancel it, so this must too, or it runs on in Soda Cloud unowned.
            await asyncio.shield(self.client.cancel_scan_quietly(started.scan_id))
            raise
        return started.scan_id

    async def _verify_checks(self, run: DatasetRun, contract_id: str) -> ScanStarted:
        """A scan of the checks the plan names (--verify changed-checks), or of the whole
        contract: when none are named, or when Soda Cloud does not take checkPaths for this
        organisation (then for the rest of the run too)."""
        paths = run.entry.check_paths
        if paths and not self.check_paths_unavailable:
            try:
                started = await self.client.verify(contract_id, paths)
            except CheckPathsUnavailable:
                self.check_paths_unavailable = True
            else:
                run.check_paths = paths
                return started
        run.check_paths = None
        return await self.client.verify(contract_id)

    async def _verification(
        self, status: ScanStatus, check_paths: tuple[str, ...] | None
    ) -> VerificationOutcome:
        failing = tuple(
            c.id or "?" for c in status.checks if (c.evaluation_status or "") in FAILING_EVALUATIONS
        )
        warning = tuple(c.id or "?" for c in status.checks if c.evaluation_status == "warn")
        error_lines: tuple[str, ...] = ()
        logs_error = None
        if not status.passed:
            try:
                logs = await self.client.scan_logs(status.id)
                error_lines = tuple(line.message for line in logs if line.level == "error")
            except CloudError as error:
                logs_error = str(error)
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
            logs_error=logs_error,
            counts=counts,
            check_paths=check_paths,
        )

    # ---- records ----------------------------------------------------------------------

    async def owe_verification(self, file: DesiredContract) -> None:
        """Record, before the first change, that this file's verification is owed."""
        current = self.journal.pending_of(file.dataset)
        if current is None or current.raw_sha256 != file.raw_sha256:
            await self.journal.pending(
                file.dataset,
                PendingVerification(raw_sha256=file.raw_sha256, since=self.clock.now()),
            )

    async def record(self, dataset: str, contract: Contract, text: str) -> None:
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
                previous=self.journal.record_of(dataset),
            ),
        )

    def adopted(self, entry: DatasetPlan) -> DatasetRecord:
        assert entry.remote is not None
        file = self.file(entry)
        return DatasetRecord.applied(
            at=self.clock.now(),
            contract_id=entry.remote.contract_id,
            dataset_id=entry.remote.dataset_id,
            last_updated=entry.remote.last_updated,
            checksum=entry.remote.checksum,
            version_id=entry.remote.version_id,
            raw_sha256=file.raw_sha256,
            semantic_fingerprint=file.semantic_fingerprint,
            previous=self.journal.record_of(entry.dataset),
        )


# What each action's change is (verification, when planned, follows in every case).
ACTIONS: Mapping[Action, Callable[[Steps, DatasetRun], Awaitable[str | None]]] = {
    Action.CREATE: Steps.create,
    Action.GENERATE_SKELETON: Steps.skeleton,
    Action.PUBLISH: Steps.publish,
    Action.ADOPT: Steps.adopt,
    Action.NOOP: Steps.nothing,
}
