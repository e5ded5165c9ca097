"""Dataset names to paths, and what import decides per contract: pure, no network."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from reconciler.cloud.dto import Contract
from reconciler.importer import (
    MAX_NAME_BYTES,
    Decision,
    ImportItem,
    ImportNote,
    NoteCode,
    name_problem,
    plan_import,
    printable,
    relative_path,
)
from reconciler.render.words import import_notes_words

ORDERS = "warehouse/analytics/public/orders"
CUSTOMERS = "warehouse/analytics/public/customers"


def said(item: ImportItem) -> str:
    """What the import says about an item, as its report words it."""
    return import_notes_words(item.notes, item.dataset)


def contract(dataset: str, contents: str | None = "x", n: int = 1) -> Contract:
    return Contract(
        id=f"contract-{n}",
        datasetId=f"dataset-{n}",
        datasetQualifiedName=dataset,
        contents=contents,
        lastUpdated="2026-03-01T12:00:00.000Z",
    )


def test_a_qualified_name_becomes_datasource_prefixes_and_table_file() -> None:
    assert relative_path(ORDERS) == PurePosixPath("warehouse/analytics/public/orders.yml")
    assert relative_path("lakehouse/bronze/raw_clicks") == PurePosixPath(
        "lakehouse/bronze/raw_clicks.yml"
    )
    assert relative_path("pg/db/schema/tbl-with.dots_and ünïcode") == PurePosixPath(
        "pg/db/schema/tbl-with.dots_and ünïcode.yml"
    )


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "empty"),
        ("warehouse/../../etc/passwd", "'..', which would leave"),
        ("..", "'..', which would leave"),
        ("warehouse/./orders", "is '.'"),
        ("/etc/passwd", "absolute"),
        ("warehouse//orders", "is empty"),
        ("warehouse/orders/", "is empty"),
        ("warehouse\\..\\orders", "backslash"),
        ("warehouse/or\x00ders", "NUL"),
        ("warehouse/or\x1b[2Jders", "the control character U+001B"),
        ("warehouse/or\nders", "the control character U+000A"),
        ("warehouse/or\x7fders", "the control character U+007F"),
        ("warehouse/orders\u202e", "the bidi control U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("warehouse/zero\u200bwidth", "the invisible character U+200B (ZERO WIDTH SPACE)"),
        ("warehouse/lone\ud800", "the unpaired surrogate U+D800"),
        ("warehouse/no\u00a0break", "the invisible character U+00A0 (NO-BREAK SPACE)"),
        ("warehouse/CON", "reserved on Windows"),
        ("warehouse/con", "reserved on Windows"),
        ("warehouse/nul.backup", "reserved on Windows"),
        ("COM1/db/orders", "reserved on Windows"),
        ("warehouse/lpt9", "reserved on Windows"),
        ("warehouse/orders.", "ends with a dot or a space"),
        ("warehouse/orders ", "ends with a dot or a space"),
        ("warehouse /orders", "ends with a dot or a space"),
        ("warehouse/.hidden", "starts with a dot"),
        ("warehouse/a:b", "not allowed in file names on Windows"),
        ("C:/orders", "not allowed in file names on Windows"),
        ("warehouse/what?", "not allowed in file names on Windows"),
        ("warehouse/" + "t" * 252, "file name of 256 bytes"),
        ("warehouse/" + "é" * 126, "file name of 256 bytes"),
        ("w" * 256 + "/orders", "file name of 256 bytes"),
        ("warehouse/old.yml/orders", "ends like a contract file"),
    ],
)
def test_names_that_would_make_a_bad_path_are_refused(name: str, says: str) -> None:
    problem = name_problem(name)
    assert problem is not None
    assert says in problem
    with pytest.raises(ValueError, match="dataset"):
        relative_path(name)


def test_the_longest_allowed_table_name_fills_the_file_name_limit() -> None:
    table = "t" * (MAX_NAME_BYTES - len(".yml"))
    assert name_problem(f"warehouse/{table}") is None
    assert name_problem(f"warehouse/{table}t") is not None


def test_names_the_windows_device_list_merely_resembles_are_fine() -> None:
    for name in ("warehouse/console", "warehouse/com10", "warehouse/auxiliary", "warehouse/nuller"):
        assert name_problem(name) is None, name


def test_printable_escapes_what_could_rewrite_a_terminal() -> None:
    assert printable("a\x1b[31mb\x00c\u202ed") == "a\\x1b[31mb\\x00c\\u202ed"
    assert printable("pg/db/ünïcode") == "pg/db/ünïcode"


def test_without_globs_only_unmanaged_contracts_are_taken() -> None:
    contracts = {
        ORDERS: contract(ORDERS, n=1),
        CUSTOMERS: contract(CUSTOMERS, n=2),
        "lakehouse/bronze/raw": contract("lakehouse/bronze/raw", n=3),
    }
    plan = plan_import(
        contracts,
        {"warehouse/analytics/public/customers.yml": CUSTOMERS},
        recorded={"lakehouse/bronze/raw"},
    )
    assert [(i.dataset, i.decision) for i in plan.items] == [(ORDERS, Decision.WRITE)]
    assert plan.items[0].path == PurePosixPath("warehouse/analytics/public/orders.yml")


def test_globs_take_every_match_and_name_those_that_matched_nothing() -> None:
    contracts = {ORDERS: contract(ORDERS, n=1), CUSTOMERS: contract(CUSTOMERS, n=2)}
    plan = plan_import(
        contracts,
        {"warehouse/analytics/public/customers.yml": CUSTOMERS},
        recorded={CUSTOMERS},
        globs=("warehouse/**", "nowhere/*"),
    )
    assert [(i.dataset, i.decision) for i in plan.items] == [
        (CUSTOMERS, Decision.SKIP),
        (ORDERS, Decision.WRITE),
    ]
    assert [n.code for n in plan.items[0].notes] == [NoteCode.EXISTS]
    assert "--force" in said(plan.items[0])
    assert plan.unmatched_globs == ("nowhere/*",)


def test_force_replaces_the_file_at_the_dataset_path() -> None:
    plan = plan_import(
        {ORDERS: contract(ORDERS)},
        {"warehouse/analytics/public/orders.yml": ORDERS},
        recorded=(),
        globs=(ORDERS,),
        force=True,
    )
    assert plan.items[0].decision is Decision.REPLACE
    assert plan.items[0].path == PurePosixPath("warehouse/analytics/public/orders.yml")


def test_a_file_elsewhere_for_the_dataset_is_skipped_then_written_into_with_force() -> None:
    existing: dict[str, str | None] = {"stubs/orders.yml": ORDERS}
    skipped = plan_import({ORDERS: contract(ORDERS)}, existing, (), globs=(ORDERS,)).items[0]
    assert skipped.decision is Decision.SKIP
    assert skipped.path == PurePosixPath("stubs/orders.yml")
    assert skipped.notes == (ImportNote(NoteCode.EXISTS_ELSEWHERE, path="stubs/orders.yml"),)
    assert "stubs/orders.yml" in said(skipped)
    assert f"reconciler import --force {ORDERS}" in said(skipped)
    forced = plan_import({ORDERS: contract(ORDERS)}, existing, (), globs=(ORDERS,), force=True)
    assert forced.items[0].decision is Decision.REPLACE
    assert forced.items[0].path == PurePosixPath("stubs/orders.yml")


def test_a_file_of_another_dataset_at_the_path_is_never_overwritten() -> None:
    plan = plan_import(
        {ORDERS: contract(ORDERS)},
        {"warehouse/analytics/public/orders.yml": CUSTOMERS},
        (),
        globs=(ORDERS,),
        force=True,
    )
    assert plan.items[0].decision is Decision.REFUSE
    assert plan.items[0].notes[0].other == CUSTOMERS
    assert CUSTOMERS in said(plan.items[0])


def test_an_unreadable_file_at_the_path_counts_as_existing() -> None:
    existing: dict[str, str | None] = {"warehouse/analytics/public/orders.yml": None}
    contracts = {ORDERS: contract(ORDERS)}
    plain = plan_import(contracts, existing, (), globs=(ORDERS,))
    forced = plan_import(contracts, existing, (), globs=(ORDERS,), force=True)
    assert plain.items[0].decision is Decision.SKIP
    assert forced.items[0].decision is Decision.REPLACE


def test_two_files_for_one_dataset_are_refused_rather_than_guessed() -> None:
    plan = plan_import(
        {ORDERS: contract(ORDERS)},
        {"a/orders.yml": ORDERS, "b/orders.yml": ORDERS},
        (),
        globs=(ORDERS,),
        force=True,
    )
    assert plan.items[0].decision is Decision.REFUSE
    assert "a/orders.yml, b/orders.yml" in said(plan.items[0])


def test_hostile_and_empty_contracts_are_refused_and_the_rest_still_planned() -> None:
    hostile = "warehouse/../../../etc/cron.d/x"
    contracts = {
        hostile: contract(hostile, n=1),
        ORDERS: contract(ORDERS, n=2),
        CUSTOMERS: contract(CUSTOMERS, contents=None, n=3),
        "warehouse/s/surrogate": contract("warehouse/s/surrogate", contents="a\ud800", n=4),
    }
    plan = plan_import(contracts, {}, ())
    decisions = {i.dataset: (i.decision, said(i)) for i in plan.items}
    assert decisions[ORDERS][0] is Decision.WRITE
    assert decisions[hostile][0] is Decision.REFUSE
    assert "leave the contracts folder" in decisions[hostile][1]
    assert decisions[CUSTOMERS] == (
        Decision.REFUSE,
        "Soda Cloud returned no contents for this contract",
    )
    assert decisions["warehouse/s/surrogate"][0] is Decision.REFUSE
