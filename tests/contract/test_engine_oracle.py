"""Soda's engine as the oracle of our rules: every contract the project holds or writes is
judged by both, and their verdicts must agree.

Judged: the contracts in the tests' own fixtures (the files in ``fixtures/`` and each
contract text written in a test module), the example folder ``contracts/``, the contracts
behind ``plan-examples/`` (the demo's Soda Cloud seed, its UI edit and the folder with the
mistakes ``validate-invalid`` shows), every contract the local Soda Cloud writes (its
create template, skeletons and generated contracts, from the demo seed's columns and from
the real catalog its agent discovers in a DuckDB file), and the real contracts in
``../shared`` when they are there.

A verdict is whether the file has errors. We may refuse what the engine accepts only by a
rule the engine has no say in (``referee.OURS_ALONE``: unknown keys, reading safely, names,
the folder); any other difference fails the test unless :data:`KNOWN_DIFFERENCES` lists it
with its reason, and an entry that no longer differs fails it too.

All of it runs in one process: soda-core is imported once (most of a second) and each dry
run takes milliseconds.
"""

from __future__ import annotations

import ast
import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.contract import ParsedContract, parse_contract_text
from reconciler.contract.referee import OURS_ALONE, consult_engine, engine_judges
from tests import shop
from tests.shared import CORPUS, missing_reason

pytestmark = shop.needs_engine

REPOSITORY = Path(__file__).resolve().parents[2]
TESTS = REPOSITORY / "tests"

# Where we and the engine differ on purpose, and why: a contract file by its path, a contract
# written in a test module by "module::a line of it".
_UNKNOWN_FUNCTION = (
    "the dry run takes any aggregate function name, but no dialect runs 'median': a "
    "verification fails with 'not supported'"
)
_COLUMN_ROW_COUNT = (
    "a row_count under a column counts the dataset's rows, not the column's values; we keep "
    "it in the dataset `checks:`, where it means what it does"
)
_SCOPES = (
    "scopes are the engine's to judge (names, keys, references): our rules leave them open, "
    "and the referee reports what the engine refuses"
)
KNOWN_DIFFERENCES: dict[str, str] = {
    "tests/contract/fixtures/aggregate-function-unknown.yml": _UNKNOWN_FUNCTION,
    "tests/contract/test_language.py::function: median": _UNKNOWN_FUNCTION,
    "tests/contract/test_language.py::    checks:\n      - row_count:": _COLUMN_ROW_COUNT,
    "tests/contract/test_referee.py::      - row_count:": _COLUMN_ROW_COUNT,
    "tests/desired/test_refereed_folder.py::      - row_count:": _COLUMN_ROW_COUNT,
    "tests/contract/test_language.py::checks:\n  - missing:": (
        "a missing check in the dataset `checks:` has no column: the dry run takes it, a "
        "verification fails ('Invalid expression type NoneType')"
    ),
    "tests/contract/test_language.py::level: wran": (
        "the engine reads an unknown level as 'fail' without a word: a typo of 'warn' would "
        "fail the check it was meant to warn on"
    ),
    "tests/contract/test_language.py::optional: yes": (
        "the engine does not read a column's `optional` (4.28), so any value passes its dry "
        "run; the contract language takes true or false"
    ),
    "tests/contract/test_language.py::character_maximum_length: -1": (
        "the engine checks only that a length is a number; no column has a negative one, so "
        "the schema check would fail on every data source"
    ),
    "tests/contract/test_referee.py::scope: us": _SCOPES,
    "tests/desired/test_refereed_folder.py::scope: us": _SCOPES,
    "tests/contract/test_rules.py::numeric_scale: 6": (
        "the engine does not compare scale with precision; no column has a scale above its "
        "precision, so the schema check would fail on every data source"
    ),
}


@dataclass(frozen=True)
class Judged:
    label: str
    text: str
    ours: ParsedContract
    engine_ok: bool
    engine_errors: tuple[str, ...]

    @property
    def refused_by_ours_alone(self) -> bool:
        return bool(self.ours.errors) and all(d.rule in OURS_ALONE for d in self.ours.errors)

    def differs(self) -> bool:
        if self.ours.ok == self.engine_ok:
            return False
        return not (self.engine_ok and self.refused_by_ours_alone)

    def listed_as(self) -> str | None:
        for entry in KNOWN_DIFFERENCES:
            origin, _, line = entry.partition("::")
            if origin == self.label and (not line or line in self.text):
                return entry
        return None

    def explain(self) -> str:
        ours = [f"{d.line}:{d.col} {d.rule}" for d in self.ours.errors] or ["accepted"]
        engine = list(self.engine_errors) or ["accepted"]
        text = textwrap.indent(self.text.rstrip(), "      | ")
        return (
            f"{self.label}\n{text}\n    ours:   {'; '.join(ours)}\n    engine: {'; '.join(engine)}"
        )


def judge(label: str, text: str) -> Judged | None:
    """Both verdicts on a text; None when the engine is not asked about it (a bare stub, or
    a text our reader refuses to read: an alias bomb is never handed on)."""
    parsed = parse_contract_text(text, label)
    if not engine_judges(parsed):
        return None
    verdict = consult_engine(parsed, {})
    assert verdict is not None
    return Judged(label, text, parsed, verdict.ok, tuple(d.message for d in verdict.errors))


# --- what is judged ---------------------------------------------------------------------------


def fixture_files() -> Iterator[tuple[str, str]]:
    for path in sorted((TESTS / "contract" / "fixtures").glob("*.yml")):
        yield _label(path), path.read_text(encoding="utf-8")


def contracts_in_test_modules() -> Iterator[tuple[str, str]]:
    """Every text in a test module that reads as a contract (a mapping with ``dataset``).
    Texts a test builds from parts are judged where a test writes them whole."""
    for path in sorted(TESTS.rglob("test_*.py")):
        seen: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            text = textwrap.dedent(node.value).lstrip("\n")
            if "dataset" not in text or "\n" not in text or text in seen:
                continue
            seen.add(text)
            document = parse_contract_text(text, "probe").document
            if isinstance(document, dict) and "dataset" in document:
                yield _label(path), text


def example_folder(root: Path = REPOSITORY / "contracts") -> Iterator[tuple[str, str]]:
    for path in sorted(root.rglob("*.yml")):
        yield _label(path), path.read_text(encoding="utf-8")


def plan_example_contracts(scratch: Path) -> Iterator[tuple[str, str]]:
    from demo.plan_examples import _break_contracts
    from demo.tour import UI_EDIT
    from reconciler.emulator.seed import load_seed

    seed = load_seed(REPOSITORY / "demo" / "cloud-seed.yml")
    for contract in seed.contracts:
        yield f"demo/cloud-seed.yml::{contract.dataset}", contract.contents
    # The edit is made in Soda Cloud after apply published the folder's file.
    applied = (REPOSITORY / "contracts" / f"{UI_EDIT.dataset}.yml").read_text(encoding="utf-8")
    yield f"demo UI edit::{UI_EDIT.dataset}", UI_EDIT.apply_to(applied)
    broken = scratch / "validate-invalid"
    shutil.copytree(REPOSITORY / "contracts", broken / "contracts")
    _break_contracts(broken)
    for label, text in example_folder(broken / "contracts"):
        yield f"validate-invalid::{label.split('/contracts/', 1)[-1]}", text
    yield from shop_contracts(scratch)


def shop_contracts(scratch: Path) -> Iterator[tuple[str, str]]:
    """The demo's shop: its folder, its seed's contract, and the pull request's edits."""
    from demo.tour import RELAXED, SHOP, TIGHTENED
    from reconciler.emulator.seed import parse_seed

    yield from example_folder(REPOSITORY / SHOP / "contracts")
    seed = REPOSITORY / SHOP / "cloud-seed.yml"
    # Its data source is read when the local Soda Cloud starts; its contracts are text.
    for contract in parse_seed(
        seed.read_text(encoding="utf-8").split("data_sources:")[0]
    ).contracts:
        yield f"{SHOP}/cloud-seed.yml::{contract.dataset}", contract.contents
    edited = scratch / "shop"
    shutil.copytree(REPOSITORY / SHOP / "contracts", edited / "contracts")
    for edit in (TIGHTENED, RELAXED):
        edit.apply_in(edited)
        path = edited / "contracts" / f"{edit.dataset}.yml"
        yield f"{SHOP} pull request::{edit.dataset}:{edit.new.strip()}", path.read_text()


def local_cloud_contracts(scratch: Path) -> Iterator[tuple[str, str]]:
    from reconciler.clock import ManualClock
    from reconciler.emulator.agent import Agent
    from reconciler.emulator.seed import EmulatorConfig, load_seed
    from reconciler.emulator.state import column_of
    from reconciler.emulator.templates import (
        create_template,
        generated_contents,
        skeleton_contents,
    )

    seeded = load_seed(REPOSITORY / "demo" / "cloud-seed.yml").datasets
    shop_file = shop.make_duckdb_shop(scratch / "shop.duckdb")
    kinds_file = _duckdb_of_every_kind(scratch / "kinds.duckdb")
    config = EmulatorConfig(
        data_sources=[shop.duckdb_source(shop_file), shop.duckdb_source(kinds_file, "kinds")]
    )
    agent = Agent.for_seed(config, ManualClock(), lambda *_: None)
    assert agent is not None
    discovered = agent.discover()
    assert {d.qualified_name for d in discovered} >= {"shop/main/customers", "kinds/main/kinds"}
    for origin, datasets in (("seed", seeded), ("agent", discovered)):
        for dataset in datasets:
            name, columns = dataset.qualified_name, [column_of(c) for c in dataset.columns]
            yield f"local Soda Cloud {origin} template::{name}", create_template(name)
            yield f"local Soda Cloud {origin} skeleton::{name}", skeleton_contents(name, columns)
            yield f"local Soda Cloud {origin} generated::{name}", generated_contents(name, columns)


def _duckdb_of_every_kind(path: Path) -> Path:
    import duckdb

    connection = duckdb.connect(str(path))
    try:
        connection.execute(
            "CREATE TABLE kinds (id INTEGER, code VARCHAR(20), note TEXT, price DECIMAL(12,3), "
            "ok BOOLEAN, day DATE, at_time TIME, stamp TIMESTAMP, stamp_tz TIMESTAMPTZ, "
            "ratio DOUBLE, big BIGINT, small SMALLINT, real_number REAL, uid UUID, "
            "span INTERVAL, raw BLOB, doc JSON)"
        )
    finally:
        connection.close()
    return path


def _label(path: Path) -> str:
    try:
        return path.relative_to(REPOSITORY).as_posix()
    except ValueError:
        return path.as_posix()


# --- the oracle -------------------------------------------------------------------------------


def disagreements(judged: list[Judged]) -> tuple[list[str], list[str]]:
    """Unlisted differences, and listed ones that no longer differ."""
    differing = [j for j in judged if j.differs()]
    unlisted = [j.explain() for j in differing if j.listed_as() is None]
    listed = {j.listed_as() for j in differing}
    return unlisted, [entry for entry in KNOWN_DIFFERENCES if entry not in listed]


def test_our_rules_and_the_engine_agree_on_every_contract_of_the_project(
    tmp_path: Path,
) -> None:
    sources = [
        fixture_files(),
        contracts_in_test_modules(),
        example_folder(),
        plan_example_contracts(tmp_path),
        local_cloud_contracts(tmp_path),
    ]
    judged = [j for source in sources for label, text in source if (j := judge(label, text))]
    counted = {
        prefix: 0 for prefix in ("tests/", "contracts/", "demo", "validate-invalid", "local")
    }
    for item in judged:
        for prefix in counted:
            counted[prefix] += item.label.startswith(prefix)
    # Each source holds contracts: none fell out of sight.
    assert all(counted.values()), counted
    unlisted, stale = disagreements(judged)
    assert not unlisted, "our verdict differs from the engine's:\n" + "\n".join(unlisted)
    assert not stale, f"listed differences that no longer differ: {stale}"


@pytest.mark.skipif(missing_reason(CORPUS) is not None, reason=missing_reason(CORPUS) or "")
def test_our_rules_and_the_engine_agree_on_the_real_contracts() -> None:
    files = sorted(CORPUS.rglob("*.yml"))
    assert files, f"no contracts in {CORPUS}"
    judged = [j for path in files if (j := judge(path.name, path.read_text(encoding="utf-8")))]
    differing = [j.explain() for j in judged if j.differs()]
    assert not differing, "our verdict differs from the engine's:\n" + "\n".join(differing)
