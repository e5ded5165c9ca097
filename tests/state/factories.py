"""Records and states for the state tests."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from reconciler.state import DatasetRecord, Verification

APPLIED_AT = datetime(2026, 3, 1, 12, 30, tzinfo=timezone.utc)


def record(n: int, *, verified: bool = True, version: str | None = None) -> DatasetRecord:
    """A distinct, plausible record; ``n`` makes every field different."""
    digest = hashlib.sha256(str(n).encode()).hexdigest()
    return DatasetRecord(
        applied_at=APPLIED_AT,
        checksum=digest[:32],
        contract_id=f"contract-{n}",
        dataset_id=f"dataset-{n}",
        last_updated="2026-03-01T12:29:59.123Z",
        last_verification=(
            Verification(
                cloud_url=f"https://cloud.soda.io/scans/scan-{n}",
                scan_id=f"scan-{n}",
                state="completed",
                time="2026-03-01T12:31:00Z",
            )
            if verified
            else None
        ),
        raw_sha256=digest,
        semantic_fingerprint=digest[::-1],
        version_id=version if version is not None else f"version-{n}",
    )


def dataset(n: int) -> str:
    return f"warehouse/analytics/public/table_{n:05d}"
