"""A plan too long for one comment is spread over several: each fits, each renders well-formed
by itself, and together they hold every dataset, in order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.render.fit import GITHUB_TEXT_LIMIT, REPORT_LIMIT
from reconciler.render.plan import render_markdown, render_markdown_parts
from reconciler.render.split import split_sections
from tests.plan.support import desired_of, plan_of, record, remote, state_of
from tests.render.inert import rendered

COLUMNS = "".join(f"  - name: column_{n}_é\n    data_type: varchar\n" for n in range(24))
SHOWN = re.compile(r"<summary>. \w+(?: \w+)? <code>([^<]+)</code>")


def publishes(root: Path, count: int, columns: str = COLUMNS) -> dict[str, tuple[str, str]]:
    """``count`` datasets whose file changes the last column's type in Soda Cloud's text."""
    texts = {}
    for n in range(count):
        dataset = f"warehouse/analytics/public/table_{n:03d}"
        head = f"dataset: {dataset}\ncolumns:\n"
        texts[dataset] = (head + columns, head + columns[:-8] + "integer\n")
    return texts


def big_plan(root: Path, count: int = 120, columns: str = COLUMNS) -> tuple[list[str], object]:
    texts = publishes(root, count, columns)
    desired = desired_of(root, {d: file for d, (file, _) in texts.items()})
    made = plan_of(desired, {d: remote(d, cloud) for d, (_, cloud) in texts.items()})
    return sorted(texts), made


def assert_well_formed(part: str) -> None:
    page = rendered(part)
    assert page.count("<details>") == page.count("</details>")
    assert page.count("<pre>") == page.count("</pre>")
    # Every fence that opens in the part closes in it.
    fences = re.findall(r"^(`{3,})", part, re.MULTILINE)
    assert len(fences) % 2 == 0


def test_a_plan_over_the_limit_becomes_numbered_parts_holding_every_dataset(
    tmp_path: Path,
) -> None:
    datasets, made = big_plan(tmp_path / "contracts")
    single = render_markdown(made)  # type: ignore[arg-type]

    parts = render_markdown_parts(made)  # type: ignore[arg-type]

    assert "more sections left out" in single  # one comment cannot hold it
    total = len(parts)
    assert total >= 2
    assert all(len(part) <= REPORT_LIMIT < GITHUB_TEXT_LIMIT for part in parts)
    shown = [name for part in parts for name in SHOWN.findall(part)]
    assert shown == datasets  # every dataset once, in order
    for number, part in enumerate(parts, start=1):
        assert part.startswith(f"### Soda contracts plan (part {number} of {total})\n\n")
        assert "left out" not in part
        assert_well_formed(part)
    assert "| publish | 120 |" in parts[0]
    assert "| publish |" not in parts[1]
    assert parts[0].endswith(f"_Continued in the next comment: part 2 of {total}._\n")
    assert parts[-1].endswith("</details>\n\n")


def test_a_plan_that_fits_is_one_comment_the_same_as_the_single_renderer(tmp_path: Path) -> None:
    _, made = big_plan(tmp_path / "contracts", count=3)

    (part,) = render_markdown_parts(made)  # type: ignore[arg-type]

    assert part == render_markdown(made)  # type: ignore[arg-type]
    assert part.startswith("### Soda contracts plan\n\n")


def test_a_dataset_whose_diff_outgrows_a_comment_shows_what_fits_and_says_what_is_left(
    tmp_path: Path,
) -> None:
    columns = "".join(f"  - name: column_{n}\n    data_type: varchar\n" for n in range(1_000))
    datasets = [f"warehouse/analytics/public/wide_{n}" for n in range(2)]
    desired = desired_of(
        tmp_path / "contracts", {d: f"dataset: {d}\ncolumns:\n{columns}" for d in datasets}
    )
    # Soda Cloud's text has a comment on every line: a diff of every line, one change.
    cloud = columns.replace("varchar\n", "varchar  # from the UI\n")
    made = plan_of(desired, {d: remote(d, f"dataset: {d}\ncolumns:\n{cloud}") for d in datasets})

    parts = render_markdown_parts(made)

    assert [name for part in parts for name in SHOWN.findall(part)] == datasets
    assert all(len(part) <= REPORT_LIMIT for part in parts)
    for part in parts:
        assert_well_formed(part)
    cut = re.findall(r"_The diff is cut here: ([\d,]+) more lines\.", "".join(parts))
    assert len(cut) == 2
    assert all(int(n.replace(",", "")) > 100 for n in cut)


def test_a_long_list_of_unmanaged_contracts_is_spread_over_sections_each_ending_well(
    tmp_path: Path,
) -> None:
    desired = desired_of(tmp_path / "contracts", {})
    names = [f"warehouse/analytics/public/unmanaged_table_{n:05d}" for n in range(3_000)]
    made = plan_of(
        desired, {name: remote(name, f"dataset: {name}\ncolumns: []\n") for name in names}
    )

    parts = render_markdown_parts(made)

    assert len(parts) >= 2
    listed = [name for part in parts for name in re.findall(r"^- `([^`]+)`$", part, re.MULTILINE)]
    assert listed == names
    for part in parts:
        assert len(part) <= REPORT_LIMIT
        assert_well_formed(part)
    assert "Unmanaged contracts (in Soda Cloud, no file; never deleted) · 1-" in parts[1]


def test_drift_and_breaking_warnings_stay_in_the_first_part(tmp_path: Path) -> None:
    texts = publishes(tmp_path, 120)
    desired = desired_of(tmp_path / "contracts", {d: file for d, (file, _) in texts.items()})
    first = sorted(texts)[0]
    state = state_of({first: record(first, texts[first][0], last_updated="2025-12-01T00:00:00Z")})

    parts = render_markdown_parts(
        plan_of(desired, {d: remote(d, cloud) for d, (_, cloud) in texts.items()}, state)
    )

    assert "[!CAUTION]" in parts[0]
    assert all("[!CAUTION]" not in part for part in parts[1:])


def test_a_section_too_long_for_any_part_is_refused_rather_than_cut() -> None:
    def title(number: int, total: int) -> str:
        return f"# part {number} of {total}\n"

    def onward(number: int, total: int) -> str:
        return "\nmore\n"

    parts = split_sections("head\n", ["a" * 40, "b" * 40], limit=80, title=title, onward=onward)
    assert parts == (
        "# part 1 of 2\nhead\n" + "a" * 40 + "\nmore\n",
        "# part 2 of 2\n" + "b" * 40,
    )
    with pytest.raises(ValueError, match="exceeds"):
        split_sections("head\n", ["c" * 70], limit=80, title=title, onward=onward)
