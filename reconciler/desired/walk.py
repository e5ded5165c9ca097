"""Finding the contract files below the folder and reading each one safely.

Directories whose name starts with a dot are not searched; symbolic links that leave the
folder, directories named ``x.yml``, FIFOs, oversized and unreadable files are diagnostics,
never exceptions.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from reconciler.contract.diagnostics import Diagnostic
from reconciler.contract.document import MAX_BYTES

SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class Found:
    path: Path
    relative: str  # posix, relative to the root
    display: str


def shown_root(root: Path) -> str:
    text = root.as_posix()
    return text.rstrip("/") or "/"


def join(display_root: str, relative: str) -> str:
    if display_root == ".":
        return relative
    return f"{display_root.rstrip('/')}/{relative}"


def is_contract_name(name: str) -> bool:
    return name.lower().endswith(SUFFIXES)


def walk(root: Path, display_root: str) -> tuple[list[Found], list[Diagnostic]]:
    real_root = root.resolve()
    found: list[Found] = []
    problems: list[Diagnostic] = []

    def problem(display: str, rule: str, message: str, hint: str | None = None) -> None:
        problems.append(Diagnostic(display, 1, 1, "error", rule, message, hint))

    def escapes(path: Path) -> bool:
        target = path.resolve()
        return target != real_root and real_root not in target.parents

    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(directory)
        relative_dir = here.relative_to(root).as_posix()
        prefix = "" if relative_dir == "." else relative_dir + "/"
        kept: list[str] = []
        for name in sorted(dirnames):
            if name.startswith("."):
                continue
            path = here / name
            display = join(display_root, prefix + name)
            if path.is_symlink():
                if escapes(path):
                    problem(
                        display,
                        "symlink-escape",
                        f"{display} is a symbolic link to a folder outside {display_root}",
                        "Keep contracts inside the contracts folder; copy them in.",
                    )
                continue  # links inside the folder would only show the same files twice
            if is_contract_name(name):
                problem(
                    display,
                    "unreadable",
                    f"{display} is a directory, not a contract file",
                    "Rename the directory; contract files are YAML files.",
                )
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not is_contract_name(name):
                continue
            path = here / name
            relative = prefix + name
            display = join(display_root, relative)
            if path.is_symlink():
                if not path.exists():
                    problem(
                        display,
                        "unreadable",
                        f"{display} is a symbolic link to a file that does not exist",
                    )
                    continue
                if escapes(path):
                    problem(
                        display,
                        "symlink-escape",
                        f"{display} is a symbolic link to a file outside {display_root}",
                        "Keep contracts inside the contracts folder; copy the file in.",
                    )
                    continue
            found.append(Found(path, relative, display))
    return found, problems


def read_file(item: Found) -> bytes | Diagnostic:
    def unreadable(message: str, rule: str = "unreadable", hint: str | None = None) -> Diagnostic:
        return Diagnostic(item.display, 1, 1, "error", rule, message, hint)

    try:
        # Non-blocking, so that a FIFO named x.yml is refused instead of waited on.
        descriptor = os.open(item.path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        return unreadable(
            f"cannot read {item.display}: {error.strerror or type(error).__name__}",
            hint="Check the file's permissions.",
        )
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            return unreadable(f"{item.display} is {kind}, not a contract file")
        if info.st_size > MAX_BYTES:
            return unreadable(
                f"the file is {info.st_size:,} bytes; contracts are limited to "
                f"{MAX_BYTES:,} bytes (1 MiB)",
                "file-too-large",
                "Split the contract or remove generated bulk; no real contract is this large.",
            )
        chunks: list[bytes] = []
        remaining = MAX_BYTES + 1
        while remaining > 0:
            chunk = os.read(descriptor, remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    except OSError as error:
        return unreadable(
            f"cannot read {item.display}: {error.strerror or type(error).__name__}",
            hint="Check the file's permissions.",
        )
    finally:
        os.close(descriptor)


def is_stub_on_disk(path: Path) -> bool:
    """Whether ``path`` holds a stub now, read afresh (read as the folder is: a FIFO or an
    unreadable file is no stub). A skeleton may be written only over a stub."""
    from reconciler.contract.parse import parse_contract_bytes

    data = read_file(Found(path, path.name, str(path)))
    if isinstance(data, Diagnostic):
        return False
    return parse_contract_bytes(data, str(path), allow_stub=True).is_stub
