"""Dataset globs read names as paths: ``*`` within one part, ``**`` across parts."""

from __future__ import annotations

import pytest

from reconciler.plan import DatasetFilter
from reconciler.plan.globs import glob_matches

ORDERS = "warehouse/analytics/public/orders"
STAGING = "warehouse/analytics/staging/orders"
TOP = "warehouse/orders"


@pytest.mark.parametrize(
    ("glob", "matched"),
    [
        ("warehouse/*", {TOP}),
        ("warehouse/*/public/*", {ORDERS}),
        ("warehouse/**", {ORDERS, STAGING, TOP}),
        ("**/orders", {ORDERS, STAGING, TOP}),
        ("warehouse/**/orders", {ORDERS, STAGING, TOP}),
        ("warehouse/analytics/**/orders", {ORDERS, STAGING}),
        ("*/orders", {TOP}),
        ("*", set()),
        ("**", {ORDERS, STAGING, TOP}),
        ("warehouse/analytics/*/ord?rs", {ORDERS, STAGING}),
        ("warehouse/analytics/[ps]*/orders", {ORDERS, STAGING}),
        ("warehouse/analytics/[!p]*/orders", {STAGING}),
        ("warehouse/analytics/[^p]*/orders", {STAGING}),
        ("warehouse?orders", set()),
        ("warehouse[/]orders", set()),
        ("warehouse[!a]orders", set()),
        ("Warehouse/**", set()),
        ("warehouse/orders", {TOP}),
    ],
)
def test_a_glob_reads_the_name_as_a_path(glob: str, matched: set[str]) -> None:
    assert {name for name in (ORDERS, STAGING, TOP) if glob_matches(glob, name)} == matched


def test_everything_but_the_wildcards_matches_itself() -> None:
    assert glob_matches("db/a.b+c(d)/x", "db/a.b+c(d)/x")
    assert not glob_matches("db/a.b/x", "db/aXb/x")
    assert glob_matches("db/[x/y", "db/[x/y")  # no closing bracket: a plain [
    assert glob_matches("db/[]x]/t", "db/]/t")  # a ] first in a class belongs to it
    assert glob_matches("db/***/t", "db/a/b/t")  # three stars are two


def test_target_and_exclude_globs_filter_by_path() -> None:
    wanted = DatasetFilter(targets=("warehouse/**",), excludes=("**/staging/**",))

    assert [n for n in (ORDERS, STAGING, TOP, "lakehouse/x/y") if wanted(n)] == [ORDERS, TOP]
    assert not DatasetFilter(targets=("warehouse/*",))(ORDERS)
    assert DatasetFilter()(ORDERS)
