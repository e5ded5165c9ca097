"""Seed files: the documented format, stable ids, and one clear error with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulator import (
    DEFAULT_API_KEY_ID,
    DEFAULT_API_KEY_SECRET,
    EmulatorConfig,
    SeedError,
    derived_id,
    load_seed,
    parse_seed,
)

DEMO_SEED = Path(__file__).resolve().parents[2] / "demo" / "cloud-seed.yml"

BRIEF_SEED = """\
api_keys: [{id: demo, secret: demo-secret, role: admin}, {id: ro, secret: ro-secret, role: viewer}]
datasets:
  - {qualified_name: warehouse/analytics/public/customers, connected: true,
     columns: [{name: id, data_type: integer}, {name: email, data_type: varchar}]}
contracts:
  - {dataset: warehouse/analytics/public/customers, contents: "dataset: warehouse/analytics/public/customers\\ncolumns: []\\n"}
scan_outcomes: {warehouse/analytics/public/customers: completedWithWarnings}
"""


def test_the_documented_example_seed_loads() -> None:
    config = parse_seed(BRIEF_SEED)
    assert [key.role for key in config.effective_api_keys()] == ["admin", "viewer"]
    assert config.admin_key().id == "demo"
    dataset = config.datasets[0]
    assert dataset.dataset_id == derived_id("dataset", dataset.qualified_name)
    assert parse_seed(BRIEF_SEED).datasets[0].dataset_id == dataset.dataset_id  # reproducible
    assert config.scan_outcomes == {dataset.qualified_name: "completedWithWarnings"}


def test_an_empty_seed_has_the_documented_default_key() -> None:
    (key,) = parse_seed("").effective_api_keys()
    assert (key.id, key.secret, key.role) == (DEFAULT_API_KEY_ID, DEFAULT_API_KEY_SECRET, "admin")
    assert (key.id, key.secret) == ("local", "local-secret")


@pytest.mark.parametrize(
    ("text", "where", "fragment"),
    [
        ("datasets: [\n", "seed.yml:2:1", "not valid YAML"),
        ("- a\n", "seed.yml:1:1", "a seed is a mapping"),
        ("datasetz: []\n", "seed.yml:1:1", "datasetz: Extra inputs are not permitted"),
        (
            "datasets:\n  - qualified_name: a/b\n    columns: [{name: id, type: int}]\n",
            "seed.yml:3:26",
            "datasets[0].columns[0].type: Extra inputs are not permitted",
        ),
        (
            "scan_outcomes:\n  a/b: passed\n",
            "seed.yml:2:8",
            "scan_outcomes.a/b: Input should be 'completed'",
        ),
        (
            "contracts:\n  - {dataset: a/b, contents: x}\n",
            "seed.yml:1:1",
            "contracts[0]: dataset 'a/b' is not in `datasets`",
        ),
        (
            "datasets: [{qualified_name: a/b}]\ncontracts:\n  - dataset: a/b\n    contents: 'dataset: a/c'\n",
            "seed.yml:4:15",
            "contracts[0] (dataset a/b): line 1, column 1: missing required key `columns`",
        ),
        (
            "datasets: [{qualified_name: a/b}, {qualified_name: a/b}]\n",
            "seed.yml:1:1",
            "datasets[1]: dataset 'a/b' is listed twice",
        ),
    ],
)
def test_seed_mistakes_are_reported_with_file_line_and_column(
    text: str, where: str, fragment: str
) -> None:
    with pytest.raises(SeedError) as raised:
        parse_seed(text, source="seed.yml")
    message = str(raised.value)
    assert message.startswith(where + ": "), message
    assert fragment in message


def test_a_missing_seed_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match=r"nope\.yml: cannot read the seed file"):
        load_seed(tmp_path / "nope.yml")


def test_the_demo_seed_is_valid_and_spans_two_data_sources() -> None:
    config = load_seed(DEMO_SEED)
    assert isinstance(config, EmulatorConfig)
    sources = {d.qualified_name.split("/", 1)[0] for d in config.datasets}
    assert len(sources) == 2
    assert config.contracts
