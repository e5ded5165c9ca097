"""The contracts folder: identity, layout, stubs and the safety rules of reading files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler import desired
from reconciler.contract import raw_sha256, semantic_fingerprint
from reconciler.desired import load_desired
from reconciler.desired import parallel as loading
from tests.desired.helpers import contract, write


def rules_of(state: desired.DesiredState) -> list[tuple[str, int, int, str, str]]:
    return [(d.file, d.line, d.col, d.severity, d.rule) for d in state.diagnostics]


def test_a_valid_folder_yields_contracts_keyed_by_dataset(tmp_path: Path) -> None:
    write(tmp_path, "pg/db/public/orders.yml", contract("pg/db/public/orders"))
    write(tmp_path, "pg/db/public/customers.yaml", contract("pg/db/public/customers"))
    write(tmp_path, "README.md", "not a contract")
    state = load_desired(tmp_path)
    assert state.ok
    assert state.diagnostics == []
    assert state.files_read == 2
    assert sorted(state.contracts) == ["pg/db/public/customers", "pg/db/public/orders"]
    orders = state.contracts["pg/db/public/orders"]
    assert orders.path == tmp_path / "pg/db/public/orders.yml"
    assert orders.display_path == f"{tmp_path.as_posix()}/pg/db/public/orders.yml"
    assert orders.raw_sha256 == raw_sha256(orders.raw_text)
    assert orders.semantic_fingerprint == semantic_fingerprint(orders.document)
    assert orders.model is not None
    assert orders.model.dataset == "pg/db/public/orders"
    assert not orders.is_stub


def test_display_paths_keep_the_folder_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "contracts/pg/t.yml", "dataset: pg/t\ncolumns: {}\n")
    monkeypatch.chdir(tmp_path)
    state = load_desired(Path("contracts"))
    assert [d.file for d in state.diagnostics] == ["contracts/pg/t.yml"]
    dot = load_desired(Path("."))
    assert [d.file for d in dot.diagnostics] == ["contracts/pg/t.yml", "contracts/pg/t.yml"]


def test_two_files_with_one_dataset_are_an_error_on_each_naming_the_other(tmp_path: Path) -> None:
    write(tmp_path, "pg/orders.yml", contract("pg/orders"))
    write(tmp_path, "copy/orders.yml", "# a copy\n" + contract("pg/orders"))
    state = load_desired(tmp_path)
    assert not state.ok
    duplicates = [d for d in state.diagnostics if d.rule == "duplicate-dataset"]
    root = tmp_path.as_posix()
    assert [(d.file, d.line, d.col) for d in duplicates] == [
        (f"{root}/copy/orders.yml", 2, 10),
        (f"{root}/pg/orders.yml", 1, 10),
    ]
    assert (
        duplicates[0].message == f"dataset 'pg/orders' is also described by {root}/pg/orders.yml:1"
    )
    assert (
        duplicates[1].message
        == f"dataset 'pg/orders' is also described by {root}/copy/orders.yml:2"
    )
    assert state.contracts == {}


def test_datasets_are_compared_after_resolving_variables(tmp_path: Path) -> None:
    write(
        tmp_path, "pg/a.yml", "dataset: pg/${var.T}\ncolumns: []\nvariables:\n  T: {default: a}\n"
    )
    write(tmp_path, "pg/b.yml", "dataset: pg/b\ncolumns: []\n")
    assert load_desired(tmp_path).ok
    clash = load_desired(tmp_path, variables={"T": "b"})
    assert [d.rule for d in clash.diagnostics if d.is_error] == ["duplicate-dataset"] * 2


def test_a_path_that_does_not_mirror_the_dataset_is_a_warning_or_with_strict_an_error(
    tmp_path: Path,
) -> None:
    write(tmp_path, "orders.yml", contract("pg/db/public/orders"))
    state = load_desired(tmp_path)
    assert state.ok
    assert rules_of(state) == [
        (f"{tmp_path.as_posix()}/orders.yml", 1, 10, "warning", "path-mismatch")
    ]
    assert state.diagnostics[0].message.endswith(
        f"expected {tmp_path.as_posix()}/pg/db/public/orders.yml"
    )
    assert "pg/db/public/orders" in state.contracts
    strict = load_desired(tmp_path, strict=True)
    assert not strict.ok
    assert [d.severity for d in strict.diagnostics] == ["error"]
    assert strict.contracts == {}


def test_a_stub_is_valid_and_flagged(tmp_path: Path) -> None:
    write(tmp_path, "pg/new_table.yml", "dataset: pg/new_table\n")
    write(tmp_path, "pg/other.yml", "dataset: pg/other\ncolumns: []\n")
    state = load_desired(tmp_path)
    assert state.ok
    assert state.contracts["pg/new_table"].is_stub
    assert state.contracts["pg/new_table"].model is None
    assert state.contracts["pg/other"].is_stub
    write(tmp_path, "pg/full.yml", contract("pg/full"))
    assert not load_desired(tmp_path).contracts["pg/full"].is_stub


def test_files_with_errors_are_not_usable_contracts(tmp_path: Path) -> None:
    write(tmp_path, "pg/good.yml", contract("pg/good"))
    write(tmp_path, "pg/bad.yml", "dataset: pg/bad\ncolumns:\n  - nme: x\n")
    state = load_desired(tmp_path)
    assert list(state.contracts) == ["pg/good"]
    assert {d.rule for d in state.diagnostics} == {"unknown-key", "missing-key"}


def test_diagnostics_of_all_files_are_sorted_by_file_and_position(tmp_path: Path) -> None:
    write(tmp_path, "pg/b.yml", "dataset: pg/b\ncolumns:\n  - name: x\n    typo: 1\nmore: 2\n")
    write(tmp_path, "pg/a.yml", "dataset: pg/a\ncolumns: []\nzzz: 1\n")
    state = load_desired(tmp_path)
    root = tmp_path.as_posix()
    assert [(d.file, d.line) for d in state.diagnostics] == [
        (f"{root}/pg/a.yml", 3),
        (f"{root}/pg/b.yml", 4),
        (f"{root}/pg/b.yml", 5),
    ]


def test_a_symlink_leaving_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, "pg/t.yml", contract("pg/t"))
    root = tmp_path / "contracts"
    root.mkdir()
    (root / "pg").mkdir()
    (root / "pg" / "t.yml").symlink_to(outside / "pg" / "t.yml")
    (root / "elsewhere").symlink_to(outside / "pg", target_is_directory=True)
    state = load_desired(root)
    assert [(d.file, d.rule) for d in state.diagnostics] == [
        (f"{root.as_posix()}/elsewhere", "symlink-escape"),
        (f"{root.as_posix()}/pg/t.yml", "symlink-escape"),
    ]
    assert state.contracts == {}


def test_a_symlink_inside_the_folder_is_read(tmp_path: Path) -> None:
    write(tmp_path, "shared/t.yaml", contract("pg/t"))
    (tmp_path / "pg").mkdir()
    (tmp_path / "pg" / "t.yml").symlink_to(tmp_path / "shared" / "t.yaml")
    state = load_desired(tmp_path)
    # the same contract twice: once through the link
    assert {d.rule for d in state.diagnostics} == {"duplicate-dataset", "path-mismatch"}


def test_a_dangling_symlink_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "gone.yml").symlink_to(tmp_path / "missing.yml")
    state = load_desired(tmp_path)
    assert rules_of(state) == [(f"{tmp_path.as_posix()}/gone.yml", 1, 1, "error", "unreadable")]
    assert state.files_read == 1


def test_a_directory_named_like_a_contract_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "pg/t.yml/inner.yml", contract("pg/t.yml/inner"))
    state = load_desired(tmp_path)
    assert rules_of(state) == [(f"{tmp_path.as_posix()}/pg/t.yml", 1, 1, "error", "unreadable")]
    assert "is a directory, not a contract file" in state.diagnostics[0].message
    assert "pg/t.yml/inner" in state.contracts


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "pg/t.yml", contract("pg/t"))
    path.chmod(0)
    try:
        state = load_desired(tmp_path)
    finally:
        path.chmod(0o644)
    assert [d.rule for d in state.diagnostics] == ["unreadable"]
    assert "Permission denied" in state.diagnostics[0].message


def test_a_fifo_named_like_a_contract_is_not_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yml")
    state = load_desired(tmp_path)
    assert [(d.rule, d.message) for d in state.diagnostics] == [
        ("unreadable", f"{tmp_path.as_posix()}/pipe.yml is not a regular file, not a contract file")
    ]


def test_oversized_non_utf8_and_multi_document_files_are_errors(tmp_path: Path) -> None:
    (tmp_path / "big.yml").write_bytes(b"dataset: pg/big\ncolumns: []\n" + b"#" * (1024 * 1024))
    (tmp_path / "latin1.yml").write_bytes(b"dataset: pg/caf\xe9\ncolumns: []\n")
    (tmp_path / "two.yml").write_text("dataset: pg/a\ncolumns: []\n---\ndataset: pg/b\n")
    state = load_desired(tmp_path)
    root = tmp_path.as_posix()
    assert rules_of(state) == [
        (f"{root}/big.yml", 1, 1, "error", "file-too-large"),
        (f"{root}/latin1.yml", 1, 16, "error", "not-utf8"),
        (f"{root}/two.yml", 3, 1, "error", "multiple-documents"),
    ]


def test_a_billion_laughs_file_is_refused_in_the_folder(tmp_path: Path) -> None:
    lines = ["dataset: pg/t", "columns: []", 'a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    (tmp_path / "laughs.yml").write_text("\n".join(lines) + "\n")
    state = load_desired(tmp_path)
    assert [d.rule for d in state.diagnostics] == ["alias-limit"]


def test_a_missing_folder_is_a_diagnostic_not_an_exception(tmp_path: Path) -> None:
    state = load_desired(tmp_path / "nope")
    assert [(d.rule, d.message) for d in state.diagnostics] == [
        ("unreadable", f"the contracts folder {(tmp_path / 'nope').as_posix()} does not exist")
    ]


def test_hidden_directories_are_not_searched(tmp_path: Path) -> None:
    write(tmp_path, ".github/workflows/ci.yml", "on: push\n")
    write(tmp_path, "pg/t.yml", contract("pg/t"))
    state = load_desired(tmp_path)
    assert state.ok
    assert state.files_read == 1


def test_variables_reach_every_contract(tmp_path: Path) -> None:
    write(tmp_path, "pg/t.yml", "dataset: pg/${var.T}\ncolumns: []\nvariables:\n  T:\n")
    assert [d.rule for d in load_desired(tmp_path).diagnostics] == ["variable-without-value"]
    assert list(load_desired(tmp_path, variables={"T": "t"}).contracts) == ["pg/t"]


def test_several_processes_give_the_same_result_as_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(12):
        write(tmp_path, f"pg/t{index}.yml", contract(f"pg/t{index}"))
    write(tmp_path, "pg/bad.yml", "dataset: pg/bad\ncolumns: [1]\n")
    write(tmp_path, "pg/dup.yml", contract("pg/t3"))
    serial = load_desired(tmp_path, workers=1)
    monkeypatch.setattr(loading, "PARALLEL_THRESHOLD", 2)
    parallel = load_desired(tmp_path, workers=2)
    assert parallel.diagnostics == serial.diagnostics
    assert parallel.files_read == serial.files_read == 14
    assert parallel.contracts.keys() == serial.contracts.keys()
    for dataset, item in serial.contracts.items():
        other = parallel.contracts[dataset]
        assert (other.document, other.raw_text, other.semantic_fingerprint) == (
            item.document,
            item.raw_text,
            item.semantic_fingerprint,
        )
        assert other.model == item.model
