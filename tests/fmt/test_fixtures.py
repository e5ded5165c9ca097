"""fmt on every contract the project has: the example folder, the contracts of the tests'
fixtures (texts in test modules, the helpers that build them, the local Soda Cloud's seeds
and templates) and the real-contracts corpus. Each is laid out without a refusal, keeps its
semantic fingerprint, and its layout is a fixed point."""

from __future__ import annotations

import ast
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.contract import parse_contract_text
from reconciler.desired import load_desired
from reconciler.emulator import load_seed
from reconciler.emulator import samples as emulator_samples
from reconciler.emulator.state import Column
from reconciler.emulator.templates import create_template, generated_contents, skeleton_contents
from reconciler.fmt import Outcome, Refusal, format_contract, format_folder
from tests.audit import support as audit_support
from tests.cloud import support as cloud_support
from tests.desired import helpers as desired_helpers
from tests.examples.support import REPOSITORY
from tests.plan import support as plan_support
from tests.shared import CORPUS, corpus_files, needs

EXAMPLE = REPOSITORY / "contracts"
TESTS = REPOSITORY / "tests"


def assert_laid_out_in_place(source: str, name: str) -> str:
    before = parse_contract_text(source, name, allow_stub=True)
    result = format_contract(source, name, {})
    assert not isinstance(result, Refusal), (name, result)
    after = parse_contract_text(result, name, allow_stub=True)
    assert after.ok, after.errors
    assert after.semantic_fingerprint == before.semantic_fingerprint, name
    assert format_contract(result, name, {}) == result, f"{name}: not idempotent"
    return result


def contracts_in_test_modules() -> Iterator[tuple[str, str]]:
    """Every text in a test module that the reader takes for a valid contract (but fmt's own
    tests: each of their texts has its own expected outcome, refusals among them)."""
    for path in sorted(TESTS.rglob("*.py")):
        if path.is_relative_to(TESTS / "fmt"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if "dataset:" not in node.value:
                    continue
                source = textwrap.dedent(node.value).lstrip("\n")
                if parse_contract_text(source, "fixture.yml", allow_stub=True).ok:
                    yield f"{path.relative_to(REPOSITORY)}:{node.lineno}", source


def contracts_built_by_helpers() -> Iterator[tuple[str, str]]:
    dataset = "warehouse/analytics/public/orders"
    yield "desired.helpers.contract", desired_helpers.contract(dataset)
    yield (
        "plan.support.contract",
        plan_support.contract(dataset, extra_column=True, comment="# owned by sales\n"),
    )
    yield "plan.support.stub", plan_support.stub(dataset)
    yield (
        "audit.support.contract",
        audit_support.contract(dataset, "id:integer", "email:varchar", checks="missing"),
    )
    yield "cloud.support.contract_text", cloud_support.contract_text(dataset, threshold=3)
    columns = [Column("id", "integer"), Column("created at", "timestamp"), Column("yes", "varchar")]
    yield "emulator create template", create_template(dataset)
    yield "emulator skeleton", skeleton_contents(dataset, columns)
    yield "emulator generated contract", generated_contents(dataset, columns)
    for seed in emulator_samples.sample_config().contracts:
        yield f"emulator sample {seed.dataset}", seed.contents
    for seed in load_seed(REPOSITORY / "demo" / "cloud-seed.yml").contracts:
        yield f"demo seed {seed.dataset}", seed.contents


FIXTURES = [*contracts_in_test_modules(), *contracts_built_by_helpers()]


def test_the_fixtures_hold_many_contracts() -> None:
    assert len(FIXTURES) >= 50


@pytest.mark.parametrize(("name", "source"), FIXTURES, ids=[name for name, _ in FIXTURES])
def test_every_contract_of_the_test_fixtures_is_laid_out_keeping_its_meaning(
    name: str, source: str
) -> None:
    assert_laid_out_in_place(source, name)


def test_what_apply_writes_into_stub_files_is_already_canonical() -> None:
    # A skeleton written back by apply must not show up as a formatting change afterwards.
    columns = [Column("id", "integer"), Column("email", "varchar")]
    for text in (
        skeleton_contents("lake/raw/t", columns),
        generated_contents("lake/raw/t", columns),
    ):
        assert format_contract(text, "t.yml", {}) is text


@pytest.mark.parametrize(
    "path", sorted(EXAMPLE.rglob("*.yml")), ids=lambda p: str(p.relative_to(EXAMPLE))
)
def test_the_example_is_canonical_and_a_mangled_copy_comes_back_byte_for_byte(
    path: Path,
) -> None:
    original = path.read_text(encoding="utf-8")
    assert format_contract(original, path.name, {}) is original
    mangled = mangle(original)
    assert mangled != original
    assert parse_contract_text(mangled, path.name, allow_stub=True).semantic_fingerprint == (
        parse_contract_text(original, path.name, allow_stub=True).semantic_fingerprint
    )
    assert assert_laid_out_in_place(mangled, path.name) == original


def mangle(text: str) -> str:
    """The same document laid out carelessly: blank lines and a document start before it,
    indentation doubled (block scalars' content shifted with their key), three spaces after
    each dash, trailing spaces, every blank line tripled, CRLF line endings."""
    out = ["", "", "---"]
    block: tuple[int, int] | None = None  # (the key's column, how far it moved)
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        body = line[indent:]
        if block is not None and (not body or indent > block[0]):
            out.append(" " * (indent + block[1]) + body if body else "")
            continue
        block = None
        if not body:
            out += ["", "", ""]
            continue
        if body.startswith("- "):
            out.append(" " * (2 * indent) + "-   " + body[2:] + "   ")
            key, moved = indent + 2, indent + 2
        else:
            out.append(" " * (2 * indent) + body + "   ")
            key, moved = indent, indent
        if body.endswith(("|", "|-", "|+", ">", ">-", ">+")):
            block = (key, moved)
    return "\r\n".join(out) + "\r\n\r\n\r\n"


@pytest.mark.parametrize("path", corpus_files("valid"))
def test_every_valid_real_contract_is_laid_out_keeping_its_meaning(path: Path) -> None:
    assert_laid_out_in_place(path.read_text(encoding="utf-8"), path.name)


@needs(CORPUS / "invalid")
def test_invalid_real_contracts_are_reported_and_left_byte_for_byte(tmp_path: Path) -> None:
    folder = tmp_path / "contracts"
    shutil.copytree(CORPUS / "invalid", folder)
    before = {p.name: p.read_bytes() for p in folder.glob("*.yml")}
    rejected = {Path(d.file).name for d in load_desired(folder).diagnostics if d.is_error}
    assert len(rejected) >= 20  # what validate rejects (a stub without columns it takes)

    report = format_folder(folder, variables={}, write=True)

    assert {Path(r.display).name for r in report.having(Outcome.INVALID)} == rejected
    assert {Path(d.file).name for d in report.errors} == rejected
    assert {n: p for n, p in before.items() if n in rejected} == {
        p.name: p.read_bytes() for p in folder.glob("*.yml") if p.name in rejected
    }
