"""What an apply did: a value, rendered by ``reconciler.render.apply``."""

from __future__ import annotations

import enum
from collections import Counter

from pydantic import BaseModel, ConfigDict, Field

from reconciler.plan.vocabulary import Action

# 2: what was done, recoveries and stops are codes and data (docs/apply-report.md).
APPLY_REPORT_VERSION = 2


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Status(str, enum.Enum):
    APPLIED = "applied"  # everything planned for it was done (verification passed, if any)
    WARNED = "warned"  # applied; the verification passed with warnings
    VERIFY_FAILED = "verification-failed"  # applied; the verification failed
    FAILED = "failed"  # an error stopped it; what was done before is listed
    NOT_STARTED = "not-started"  # interrupted or --fail-fast before it began


class Recovery(str, enum.Enum):
    """An ambiguous write resolved inside the run (its answer was lost or was a 5xx)."""

    VERIFY_REPEATED = "verification-repeated"  # asked again: one more scan may have run
    PUBLISH_LANDED = "publish-landed"  # the version was found in Soda Cloud: not sent twice
    CONTRACT_FOUND = "contract-found"  # the lost skeleton or generation request made it


class Notice(str, enum.Enum):
    """What an apply says once, about the whole run."""

    # Soda Cloud took no checkPaths (not available for the organisation): the verifications
    # planned for some checks (--verify changed-checks) ran the whole contract.
    CHECK_PATHS_UNAVAILABLE = "check-paths-unavailable"


class DoneStep(str, enum.Enum):
    """A step of a dataset's apply that was carried out."""

    CREATED = "created"
    FOUND = "found"  # the create found its contract already in Soda Cloud
    PUBLISHED = "published"
    DRIFT_OVERWRITTEN = (
        "drift-overwritten"  # what was published replaced a change made in Soda Cloud
    )
    ADOPTED = "adopted"  # recorded in the state only
    SKELETON_WRITTEN = "skeleton-written"  # a skeleton generated and written into the file
    CONTRACT_WRITTEN = "contract-written"  # Soda Cloud's existing contract written into it
    GENERATED_WRITTEN = "generated-written"  # a contract generated (AI) and written into it
    GENERATION_SCAN = "generation-scan"  # the generation's scan ended (state)
    VERIFIED = "verified"  # the verification scan ended (state)


class Done(Frozen):
    step: DoneStep
    path: str | None = None  # the file written
    state: str | None = None  # the scan's end state, as Soda Cloud named it


class Stop(str, enum.Enum):
    """Why a dataset that had started was stopped before it finished."""

    FAIL_FAST = "fail-fast"  # another dataset failed, with --fail-fast
    INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM
    STATE_LOST = "state-lost"  # another run took the state (its lock, or a save first)


class VerificationOutcome(Frozen):
    scan_id: str
    state: str
    passed: bool
    cloud_url: str | None = None
    failing_checks: tuple[str, ...] = ()
    warning_checks: tuple[str, ...] = ()
    error_lines: tuple[str, ...] = ()
    # The failed scan's logs could not be read: why (there are no error lines then).
    logs_error: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    # The checks the scan was asked to run (Soda's check paths); None: the whole contract.
    check_paths: tuple[str, ...] | None = None


class DatasetOutcome(Frozen):
    dataset: str
    action: Action
    status: Status
    done: tuple[Done, ...] = ()
    verification: VerificationOutcome | None = None
    error: str | None = None  # the error that stopped it, as the error tree words it
    hint: str | None = None
    stopped: Stop | None = None
    # Failed for a reason a re-run alone meets again (401, 403, a dataset Soda Cloud lacks,
    # a contract it refuses): a person must fix something first.
    needs_fix: bool = False
    recoveries: tuple[Recovery, ...] = ()


class ApplyResult(Frozen):
    format_version: int = APPLY_REPORT_VERSION
    started: str
    finished: str
    cloud_host: str
    plan_created: str
    datasets: tuple[DatasetOutcome, ...] = ()
    interrupted: bool = False
    stopped_early: bool = False
    calls: dict[str, int] = Field(default_factory=dict)
    throttled: dict[str, int] = Field(default_factory=dict)
    notices: tuple[Notice, ...] = ()

    def counts(self) -> Counter[Status]:
        return Counter(d.status for d in self.datasets)

    @property
    def exit_code(self) -> int:
        counts = self.counts()
        if self.interrupted:
            return 130
        if counts[Status.FAILED] or self.stopped_early:
            return 1
        if counts[Status.VERIFY_FAILED]:
            return 3
        return 0
