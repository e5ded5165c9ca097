"""Building desired, observed and state values for planner tests, without a network."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from reconciler.cloud.dto import Contract, ContractVersion
from reconciler.contract import parse_contract_text
from reconciler.desired import DesiredState, load_desired
from reconciler.observed import ObservedState
from reconciler.plan import Plan, PlanSettings
from reconciler.plan.planner import PlanContext, make_plan
from reconciler.state import DatasetRecord, PendingVerification, StateFile

CUSTOMERS = "warehouse/analytics/public/customers"
ORDERS = "warehouse/analytics/public/orders"
EVENTS = "lakehouse/bronze/events"
CONTEXT = PlanContext(
    created="2026-01-01T00:00:00Z",
    reconciler_version="test",
    contracts_dir="contracts",
    cloud_host="cloud.soda.io",
    state_path=".reconciler/state.json",
)
LINEAGE = "0b6f3c1e-6f1d-4a57-9a53-5a1f0c2a9b11"


def contract(
    dataset: str, *, threshold: str = "must_be: 0", extra_column: bool = False, comment: str = ""
) -> str:
    text = (
        f"{comment}dataset: {dataset}\n"
        "columns:\n"
        "  - name: id\n"
        "    data_type: integer\n"
        "    checks:\n"
        "      - missing:\n"
        "          threshold:\n"
        f"            {threshold}\n"
    )
    if extra_column:
        text += "  - name: email\n    data_type: varchar\n"
    return text


def stub(dataset: str) -> str:
    return f"dataset: {dataset}\n"


def path_for(dataset: str) -> str:
    return f"{dataset}.yml"


def desired_of(root: Path, files: Mapping[str, str]) -> DesiredState:
    """Write ``{dataset: text}`` at the paths their names give, and load the folder."""
    for dataset, text in files.items():
        target = root / path_for(dataset)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    root.mkdir(parents=True, exist_ok=True)
    return load_desired(root)


def remote(
    dataset: str,
    text: str,
    *,
    last_updated: str = "2026-01-01T10:00:00.000Z",
    contract_id: str | None = None,
) -> Contract:
    return Contract(
        id=contract_id or f"contract-{dataset}",
        dataset_id=f"dataset-{dataset}",
        dataset_qualified_name=dataset,
        contents=text,
        created="2026-01-01T09:00:00.000Z",
        last_updated=last_updated,
    )


def record(
    dataset: str,
    text: str,
    *,
    last_updated: str = "2026-01-01T10:00:00.000Z",
    contract_id: str | None = None,
) -> DatasetRecord:
    parsed = parse_contract_text(text, dataset, allow_stub=True)
    return DatasetRecord(
        applied_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        contract_id=contract_id or f"contract-{dataset}",
        dataset_id=f"dataset-{dataset}",
        last_updated=last_updated,
        raw_sha256=parsed.raw_sha256,
        semantic_fingerprint=parsed.semantic_fingerprint or "",
    )


def version(number: int, creator: str = "jane@example.com") -> ContractVersion:
    return ContractVersion(
        id=f"v{number}",
        created=f"2026-01-02T10:0{number}:00.000Z",
        creator_id=creator,
        checksum=f"c{number}",
    )


def state_of(
    records: Mapping[str, DatasetRecord], pending: Mapping[str, PendingVerification] | None = None
) -> StateFile:
    return StateFile(lineage=LINEAGE, serial=3, datasets=dict(records), pending=dict(pending or {}))


def plan_of(
    desired: DesiredState,
    remotes: Mapping[str, Contract] | None = None,
    state: StateFile | None = None,
    *,
    newer: Mapping[str, tuple[ContractVersion, ...]] | None = None,
    settings: PlanSettings | None = None,
) -> Plan:
    return make_plan(
        desired,
        ObservedState(contracts=dict(remotes or {}), newer_versions=dict(newer or {})),
        state or state_of({}),
        settings=settings or PlanSettings(),
        context=CONTEXT,
    )
