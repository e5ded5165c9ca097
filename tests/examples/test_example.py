"""The example project: a valid folder that uses most of the contract language, and a local
Soda Cloud seed that gives its first plan every kind of action."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from demo.tour import RETIRED_DATASET, SKELETON_DATASET, UI_EDIT, UNMANAGED_DATASET
from reconciler.config import load_project_config
from reconciler.emulator import load_seed
from tests.examples.support import REPOSITORY, reconciler, reconciler_json

CONTRACTS = REPOSITORY / "contracts"


def _documents() -> dict[Path, dict[str, Any]]:
    return {
        path: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(CONTRACTS.rglob("*.yml"))
    }


def _checks(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(level, type, body) of every check: level is 'column' or 'dataset'."""
    for column in document.get("columns") or []:
        for check in column.get("checks") or []:
            (kind, body), *_ = check.items()
            yield "column", kind, body or {}
    for check in document.get("checks") or []:
        (kind, body), *_ = check.items()
        yield "dataset", kind, body or {}


def test_the_example_folder_is_valid_without_a_single_warning() -> None:
    report = reconciler_json(["validate", str(CONTRACTS), "--strict"])

    assert (report["valid"], report["errors"], report["warnings"]) == (True, 0, 0)
    assert report["files"] == 10
    sources = {c["dataset"].split("/")[0] for c in report["contracts"]}
    assert sources == {"warehouse", "lakehouse"}
    assert [c["dataset"] for c in report["contracts"] if c["stub"]] == [SKELETON_DATASET]


def test_each_example_file_sits_at_the_path_of_its_dataset() -> None:
    for path, document in _documents().items():
        assert path.relative_to(CONTRACTS).with_suffix("").as_posix() == document["dataset"]


def test_the_example_uses_most_of_the_contract_language() -> None:
    documents = list(_documents().values())
    checks = [check for document in documents for check in _checks(document)]
    kinds = {(level, kind) for level, kind, _ in checks}
    thresholds = [body.get("threshold") or {} for _, _, body in checks]

    assert {kind for _, kind in kinds} == {
        "missing",
        "invalid",
        "duplicate",
        "aggregate",
        "metric",
        "failed_rows",
        "row_count",
        "schema",
        "freshness",
    }
    assert {("column", "duplicate"), ("dataset", "duplicate")} <= kinds
    validity = {key for _, kind, body in checks if kind == "invalid" for key in body}
    assert {"valid_values", "valid_format", "valid_min", "valid_reference_data"} <= validity
    assert any("must_be_between" in t for t in thresholds)
    assert any(t.get("metric") == "percent" for t in thresholds)
    assert any(t.get("level") == "warn" for t in thresholds)
    assert any("additional" in t for t in thresholds)
    assert any(str(v).startswith("${var.") for t in thresholds for v in _values(t))
    assert any(document.get("variables") for document in documents)
    assert any(document.get("description") for document in documents)
    assert any(document.get("check_attributes") for document in documents)


def _values(mapping: dict[str, Any]) -> Iterator[Any]:
    for value in mapping.values():
        if isinstance(value, dict):
            yield from _values(value)
        else:
            yield value


def test_every_example_dataset_is_connected_in_the_demo_cloud_with_its_columns() -> None:
    seed = load_seed(REPOSITORY / "demo" / "cloud-seed.yml")
    datasets = {d.qualified_name: d for d in seed.datasets}

    for document in _documents().values():
        dataset = datasets[document["dataset"]]
        assert dataset.connected, dataset.qualified_name
        in_cloud = [c.name for c in dataset.columns]
        in_git = [c["name"] for c in document.get("columns") or []]
        # The stub has none: its skeleton is made from the columns in Soda Cloud.
        assert in_git in ([], in_cloud), dataset.qualified_name


def test_the_demo_configuration_names_the_local_cloud_and_its_seed() -> None:
    project = load_project_config(REPOSITORY / "reconciler.yml", environ={})

    assert project.cloud.host == "local"
    assert project.contracts_dir == CONTRACTS
    assert project.local_cloud_seed == REPOSITORY / "demo" / "cloud-seed.yml"
    assert project.local_cloud_data.is_relative_to(REPOSITORY / ".reconciler")


def test_the_first_plan_holds_every_kind_of_action(workspace: Path) -> None:
    plan = reconciler_json(["plan"])

    shown = {d["dataset"]: (d["action"], d["change_class"], d["verify"]) for d in plan["datasets"]}
    assert shown == {
        "lakehouse/bronze/raw_clicks": ("create", "tightened", True),
        "lakehouse/gold/daily_revenue": ("publish", "cosmetic", True),
        "lakehouse/silver/page_views": ("generate-skeleton", None, False),
        "lakehouse/silver/sessions": ("create", "tightened", True),
        "warehouse/analytics/public/customers": ("publish", "tightened", True),
        "warehouse/analytics/public/order_items": ("create", "tightened", True),
        "warehouse/analytics/public/orders": ("publish", "breaking", True),
        "warehouse/analytics/public/payments": ("publish", "format-only", False),
        "warehouse/analytics/public/products": ("adopt", None, False),
        "warehouse/analytics/staging/events": ("create", "tightened", True),
    }
    assert [u["dataset"] for u in plan["unmanaged"]] == [UNMANAGED_DATASET]
    assert RETIRED_DATASET in shown
    assert UI_EDIT.dataset in shown


def test_the_stub_stays_a_stub_in_the_repository_while_a_copy_gets_its_skeleton(
    workspace: Path,
) -> None:
    stub = Path("contracts") / f"{SKELETON_DATASET}.yml"
    before = (REPOSITORY / stub).read_bytes()

    result = reconciler(["apply", "--auto-approve"])

    assert result.exit_code == 0, result.output
    filled = yaml.safe_load((workspace / stub).read_text(encoding="utf-8"))
    assert [c["name"] for c in filled["columns"]] == ["view_id", "session_id", "url", "viewed_at"]
    assert (REPOSITORY / stub).read_bytes() == before
    assert set(yaml.safe_load(before)) == {"dataset"}
