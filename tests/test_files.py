"""The one file writer: atomic, never clobbers without being told, never follows a link."""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

import pytest

from reconciler.errors import WriteRefused
from reconciler.files import write_file, write_text

TARGET = PurePosixPath("warehouse/analytics/public/orders.yml")
DATA = b"dataset: warehouse/analytics/public/orders\r\ncolumns: []  # kept as is\r\n"


def files_below(path: Path) -> list[str]:
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if not p.is_dir())


def test_writes_the_bytes_creating_folders_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    written = write_file(tmp_path, TARGET, DATA, overwrite=False)
    assert written is not None
    assert not written.replaced
    assert (tmp_path / TARGET).read_bytes() == DATA
    assert files_below(tmp_path) == [TARGET.as_posix()]


def test_an_existing_file_is_kept_unless_overwrite(tmp_path: Path) -> None:
    (tmp_path / TARGET).parent.mkdir(parents=True)
    (tmp_path / TARGET).write_bytes(b"mine\n")
    (tmp_path / TARGET).chmod(0o600)
    assert write_file(tmp_path, TARGET, DATA, overwrite=False) is None
    assert (tmp_path / TARGET).read_bytes() == b"mine\n"
    written = write_file(tmp_path, TARGET, DATA, overwrite=True)
    assert written is not None
    assert written.replaced
    assert (tmp_path / TARGET).read_bytes() == DATA
    assert stat.S_IMODE((tmp_path / TARGET).stat().st_mode) == 0o600
    assert files_below(tmp_path) == [TARGET.as_posix()]


def test_a_folder_link_out_of_the_folder_is_not_followed(tmp_path: Path) -> None:
    root, outside = tmp_path / "contracts", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "warehouse").symlink_to(outside, target_is_directory=True)
    with pytest.raises(WriteRefused, match="warehouse is a symbolic link"):
        write_file(root, TARGET, DATA, overwrite=True)
    assert files_below(outside) == []


def test_a_link_deeper_down_is_not_followed_either(tmp_path: Path) -> None:
    root, outside = tmp_path / "contracts", tmp_path / "outside"
    (root / "warehouse" / "analytics").mkdir(parents=True)
    outside.mkdir()
    (root / "warehouse" / "analytics" / "public").symlink_to(outside)
    with pytest.raises(WriteRefused, match="warehouse/analytics/public is a symbolic link"):
        write_file(root, TARGET, DATA, overwrite=False)
    assert files_below(outside) == []


def test_a_file_link_is_never_replaced_or_written_through(tmp_path: Path) -> None:
    root = tmp_path / "contracts"
    (root / TARGET).parent.mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (root / TARGET).symlink_to(victim)
    for overwrite in (False, True):
        with pytest.raises(WriteRefused, match="symbolic link"):
            write_file(root, TARGET, DATA, overwrite=overwrite)
    assert victim.read_text() == "precious\n"
    assert (root / TARGET).is_symlink()


def test_a_file_where_a_folder_belongs_is_refused(tmp_path: Path) -> None:
    (tmp_path / "warehouse").write_text("not a folder\n")
    with pytest.raises(WriteRefused, match="not a folder"):
        write_file(tmp_path, TARGET, DATA, overwrite=True)


def test_paths_that_leave_the_folder_are_refused_even_if_asked(tmp_path: Path) -> None:
    root = tmp_path / "contracts"
    root.mkdir()
    for bad in ("../escape.yml", "/etc/escape.yml", "a/../../escape.yml"):
        with pytest.raises(WriteRefused, match="not a path inside the folder"):
            write_file(root, PurePosixPath(bad), DATA, overwrite=True)
    assert sorted(os.listdir(tmp_path)) == ["contracts"]


def test_the_previous_file_is_kept_under_its_other_name_once_the_new_one_is_in(
    tmp_path: Path,
) -> None:
    (tmp_path / "state.json").write_bytes(b"old\n")
    written = write_file(tmp_path, "state.json", b"new\n", keep_previous_as="state.json.backup")
    assert written is not None
    assert written.replaced
    assert written.previous_not_kept is None
    assert (tmp_path / "state.json").read_bytes() == b"new\n"
    assert (tmp_path / "state.json.backup").read_bytes() == b"old\n"
    # A first write has no previous file to keep.
    write_file(tmp_path, "fresh.json", b"1\n", keep_previous_as="fresh.json.backup")
    assert files_below(tmp_path) == ["fresh.json", "state.json", "state.json.backup"]


def test_a_previous_file_that_cannot_be_kept_leaves_the_write_made(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_bytes(b"old\n")
    (tmp_path / "state.json.backup").mkdir()
    written = write_file(tmp_path, "state.json", b"new\n", keep_previous_as="state.json.backup")
    assert written is not None
    assert written.previous_not_kept
    assert (tmp_path / "state.json").read_bytes() == b"new\n"
    assert sorted(os.listdir(tmp_path)) == ["state.json", "state.json.backup"]


def test_a_report_is_written_as_text_into_a_new_folder_but_never_through_a_link(
    tmp_path: Path,
) -> None:
    out = tmp_path / "reports" / "plan.md"
    write_text(out, "# Plan\r\nno changes\n")
    assert out.read_bytes() == b"# Plan\r\nno changes\n"
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / "reports" / "audit.md").symlink_to(victim)
    with pytest.raises(WriteRefused, match="symbolic link"):
        write_text(tmp_path / "reports" / "audit.md", "# Audit\n")
    assert victim.read_text() == "precious\n"
