"""The parse cache: a file whose bytes were read before is not parsed again, and nothing a
stale or damaged cache holds can hide an error or a change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli.main import main
from reconciler.desired import DesiredState, load_desired
from reconciler.desired.cache import parse_cache
from tests import shop
from tests.desired.helpers import contract, write

ORDERS = "contracts/pg/db/public/orders.yml"
ITEMS = "contracts/pg/db/public/items.yml"
TYPO = contract("pg/db/public/orders").replace(
    "- missing:\n", "- missing:\n          treshold: {must_be: 0}\n"
)
# The dataset is named by the value of V: without one, an error.
NAMED_BY_V = "dataset: pg/db/public/${var.V}\ncolumns: []\nvariables:\n  V:\n"
SIZE_ON_INTEGER = (
    "dataset: pg/db/public/orders\ncolumns:\n  - name: c\n    data_type: integer\n"
    "    character_maximum_length: 3\n"
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write(tmp_path, ORDERS, contract("pg/db/public/orders"))
    write(tmp_path, ITEMS, contract("pg/db/public/items"))
    return tmp_path


def read(root: Path, **options: object) -> DesiredState:
    return load_desired(root / "contracts", cache=root / "cache", **options)  # type: ignore[arg-type]


def rules_of(state: DesiredState) -> list[tuple[str, str, str]]:
    return [(Path(d.file).name, d.rule, d.severity) for d in state.diagnostics]


def parsed_afresh(state: DesiredState) -> set[str]:
    """The files this read parsed (the others were answered by the cache)."""
    return {
        Path(shown).name for shown, parsed in state.parsed.items() if parsed.document is not None
    }


def packs(root: Path) -> list[Path]:
    return sorted((root / "cache").glob("parse-*.json"))


def test_a_steady_folder_is_answered_by_the_cache_and_reads_the_same(folder: Path) -> None:
    cold = read(folder)
    warm = read(folder)
    assert parsed_afresh(cold) == {"orders.yml", "items.yml"}
    assert parsed_afresh(warm) == set()
    for dataset, first in cold.contracts.items():
        again = warm.contracts[dataset]
        assert not again.document_read
        assert (again.raw_text, again.raw_sha256, again.semantic_fingerprint, again.is_stub) == (
            first.raw_text,
            first.raw_sha256,
            first.semantic_fingerprint,
            first.is_stub,
        )
        assert again.document == first.document  # read from the text when asked
        assert again.model == first.model


def test_an_edited_file_is_parsed_again_and_its_error_shown(folder: Path) -> None:
    read(folder)
    write(folder, ORDERS, TYPO)
    state = read(folder)
    assert parsed_afresh(state) == {"orders.yml"}
    assert rules_of(state) == [("orders.yml", "unknown-key", "error")]
    # ...and when fixed, the error is gone, not remembered.
    write(folder, ORDERS, contract("pg/db/public/orders"))
    assert read(folder).ok


def test_an_error_of_a_file_is_kept_by_the_cache_as_found(folder: Path) -> None:
    write(folder, ORDERS, TYPO)
    first = read(folder)
    again = read(folder)
    assert parsed_afresh(again) == set()
    assert again.diagnostics == first.diagnostics
    assert not again.ok
    assert "pg/db/public/orders" not in again.contracts


def test_another_variable_value_is_another_context(folder: Path) -> None:
    write(folder, ORDERS, NAMED_BY_V)
    assert read(folder, variables={"V": "orders"}).ok
    assert ("orders.yml", "variable-without-value", "error") in rules_of(read(folder))
    state = read(folder, variables={"V": "items"})
    assert ("orders.yml", "duplicate-dataset", "error") in rules_of(state)
    assert read(folder, variables={"V": "orders"}).ok
    assert len(packs(folder)) == 3


def test_a_rule_setting_is_honoured_whatever_was_cached(folder: Path) -> None:
    write(folder, ORDERS, SIZE_ON_INTEGER)
    assert rules_of(read(folder)) == [("orders.yml", "size-key-type", "error")]
    assert read(folder, rules={"size-key-type": "off"}).ok
    assert rules_of(read(folder, rules={"size-key-type": "warning"})) == [
        ("orders.yml", "size-key-type", "warning")
    ]
    assert rules_of(read(folder)) == [("orders.yml", "size-key-type", "error")]


def test_a_path_rule_is_judged_on_the_folder_of_today(folder: Path) -> None:
    # The folder's rules depend on the other files: never cached.
    read(folder)
    write(folder, "contracts/pg/db/public/copy.yml", contract("pg/db/public/orders"))
    state = read(folder)
    assert ("copy.yml", "duplicate-dataset", "error") in rules_of(state)
    assert ("orders.yml", "duplicate-dataset", "error") in rules_of(state)
    assert parsed_afresh(state) == {"copy.yml"}


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # truncated
        lambda raw: raw.replace(b'"error"', b'"warning"'),  # edited: the checksum differs
        lambda raw: b"not json\n" + raw,
        lambda raw: b"",
        lambda raw: bytes(range(256)) * 4,
    ],
    ids=["truncated", "edited", "no-header", "empty", "binary"],
)
def test_a_damaged_pack_is_set_aside_and_written_again(folder: Path, damage: object) -> None:
    write(folder, ORDERS, TYPO)
    first = read(folder)
    (pack,) = packs(folder)
    pack.write_bytes(damage(pack.read_bytes()))  # type: ignore[operator]
    state = read(folder)
    assert parsed_afresh(state) == {"orders.yml", "items.yml"}
    assert state.diagnostics == first.diagnostics
    assert parsed_afresh(read(folder)) == set()  # rebuilt


def test_an_entry_forged_with_a_valid_checksum_but_another_shape_is_set_aside(
    folder: Path,
) -> None:
    read(folder)
    (pack,) = packs(folder)
    header, body = pack.read_bytes().split(b"\n", 1)
    entries = json.loads(body)
    for entry in entries.values():
        entry[6] = [["x", "one", 1, "fatal", "r", "m", None]]
    forged = json.dumps(entries).encode()
    head = json.loads(header)
    head["sha256"] = __import__("hashlib").sha256(forged).hexdigest()
    pack.write_bytes(json.dumps(head, sort_keys=True).encode() + b"\n" + forged)
    state = read(folder)
    assert state.ok
    assert parsed_afresh(state) == {"orders.yml", "items.yml"}


def test_a_pack_of_another_version_or_code_is_not_read(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(folder, ORDERS, TYPO)
    read(folder)
    monkeypatch.setattr("reconciler.desired.cache.__version__", "999.0")
    state = read(folder)
    assert parsed_afresh(state) == {"orders.yml", "items.yml"}
    assert not state.ok
    monkeypatch.setattr("reconciler.desired.cache._code_digest", lambda: "other code")
    assert parsed_afresh(read(folder)) == {"orders.yml", "items.yml"}


def test_a_pack_renamed_into_another_context_is_not_believed(folder: Path) -> None:
    write(folder, ORDERS, NAMED_BY_V)
    read(folder, variables={"V": "orders"})
    (pack,) = packs(folder)
    pack.rename(parse_cache(folder / "cache", variables={}).pack)
    assert ("orders.yml", "variable-without-value", "error") in rules_of(read(folder))


def test_an_unwritable_cache_folder_never_fails_the_read(folder: Path) -> None:
    (folder / "cache").write_text("a file where the folder should be", encoding="utf-8")
    assert read(folder).ok
    assert read(folder).ok


def test_old_packs_are_pruned_to_the_newest(folder: Path) -> None:
    from reconciler.desired.cache import PACKS_KEPT

    for value in range(PACKS_KEPT + 3):
        read(folder, variables={"unused": str(value)})
    assert len(packs(folder)) == PACKS_KEPT


def test_no_variable_value_is_written_into_the_cache(folder: Path) -> None:
    write(folder, ORDERS, NAMED_BY_V)
    read(folder, variables={"V": "orders", "token": "s3cr3t-value"})
    written = b"".join(path.read_bytes() for path in (folder / "cache").iterdir())
    assert written
    assert b"s3cr3t-value" not in written


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def project(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(folder)
    return folder


def validate(*args: str) -> int:
    return CliRunner().invoke(main, [*args]).exit_code


def test_validate_keeps_its_cache_under_dot_reconciler(project: Path) -> None:
    assert validate("validate") == 0
    assert len(list((project / ".reconciler" / "cache").glob("parse-*.json"))) == 1


def test_no_cache_neither_reads_nor_writes_it(project: Path) -> None:
    assert validate("validate", "--no-cache") == 0
    assert not (project / ".reconciler").exists()
    assert validate("validate") == 0
    write(project, ORDERS, TYPO)
    (pack,) = (project / ".reconciler" / "cache").glob("parse-*.json")
    before = pack.read_bytes()
    assert validate("validate", "--no-cache") == 1
    assert pack.read_bytes() == before


def test_the_configuration_can_turn_the_cache_off(project: Path) -> None:
    (project / "reconciler.yml").write_text("cache: false\n", encoding="utf-8")
    assert validate("validate") == 0
    assert not (project / ".reconciler").exists()


def test_a_rule_setting_of_the_configuration_reaches_validate(project: Path) -> None:
    # Our rule alone: Soda's engine refuses this file too, and its errors are never silenced.
    write(project, ORDERS, SIZE_ON_INTEGER)
    (project / "reconciler.yml").write_text("engine: off\n", encoding="utf-8")
    assert validate("validate") == 1
    (project / "reconciler.yml").write_text(
        "engine: off\nrules:\n  size-key-type: warning\n", encoding="utf-8"
    )
    assert validate("validate") == 0
    (project / "reconciler.yml").write_text("engine: off\nrules: {}\n", encoding="utf-8")
    assert validate("validate") == 1


@shop.needs_engine
def test_the_engine_verdict_is_kept_apart_from_ours(project: Path) -> None:
    write(project, ORDERS, SIZE_ON_INTEGER)
    (project / "reconciler.yml").write_text(
        "engine: off\nrules:\n  size-key-type: warning\n", encoding="utf-8"
    )
    assert validate("validate") == 0
    # The same bytes, now refereed: the verdict cached without the engine must not answer.
    (project / "reconciler.yml").write_text(
        "engine: on\nrules:\n  size-key-type: warning\n", encoding="utf-8"
    )
    assert validate("validate") == 1


# --- what a steady plan reads ---------------------------------------------------------------


def test_a_steady_plan_reads_no_document_of_a_file_the_cache_answered(folder: Path) -> None:
    from reconciler.cloud.dto import Contract
    from reconciler.observed import ObservedState
    from reconciler.plan import PlanSettings
    from reconciler.plan.planner import PlanContext, make_plan
    from reconciler.state import StateFile

    read(folder)
    warm = read(folder)
    remote = {
        name: Contract(id=f"c-{name}", dataset_qualified_name=name, contents=file.raw_text)
        for name, file in warm.contracts.items()
    }
    context = PlanContext(
        created="2026-01-01T00:00:00Z",
        reconciler_version="test",
        contracts_dir="contracts",
        cloud_host="cloud.soda.io",
        state_path="state.json",
    )
    write(folder, ITEMS, contract("pg/db/public/items", column="sku"))
    changed = read(folder)
    remote["pg/db/public/items"] = Contract(
        id="c-items",
        dataset_qualified_name="pg/db/public/items",
        contents=contract("pg/db/public/items"),
    )
    made = make_plan(
        changed,
        ObservedState(contracts=remote),
        StateFile.new(),
        settings=PlanSettings(),
        context=context,
    )
    assert made.summary().has_changes
    assert not changed.contracts["pg/db/public/orders"].document_read  # the same text: not read
    assert changed.contracts["pg/db/public/items"].document_read  # parsed, it was edited
