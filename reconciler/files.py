"""Writing a file atomically, never through a symbolic link: the one writer of every file the
reconciler writes (the state and its backup, saved plans and reports, skeletons written back
into contract files, imported contracts).

What :func:`write_file` guarantees:

* **whole or not at all**: the bytes go to a temporary file in the target's folder, are
  flushed to disk, then renamed over the target (or, when it must not be replaced,
  hard-linked into place, which fails if the name was taken meanwhile). A reader, or a run
  killed at any instant, sees the old file or the new one, complete;
* **no link followed**: every folder from ``root`` down is opened relative to the one before
  without following symbolic links, and a target that is a link is refused, never replaced
  or written through; ``root`` itself is the caller's and trusted. A link planted before or
  during the run cannot lead a write anywhere else;
* a replaced file keeps its mode; the previous file can be kept under another name (the
  state's backup), always an older version than the file itself;
* the folder's entries are flushed too, unless the caller flushes many at once
  (:func:`sync_folders`).

A write that cannot be made safely raises :class:`~reconciler.errors.WriteRefused` saying
why; nothing is left behind but what was there before.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from reconciler.errors import WriteRefused

# What identifies one version of a file on disk: device, inode, size, modification time.
FileKey = tuple[int, int, int, int]
# Longest part of a target's name kept in its temporary's name (file names hold 255 bytes).
_NAME_KEPT = 200


@dataclass(frozen=True)
class Written:
    path: PurePosixPath  # relative to the root
    replaced: bool  # a file was there before
    key: FileKey  # the new file's
    # The previous file could not be kept under its other name (the write itself succeeded).
    previous_not_kept: str | None = None


def file_key(status: os.stat_result) -> FileKey:
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


def write_file(
    root: Path,
    relative: PurePosixPath | str,
    data: bytes,
    *,
    overwrite: bool = True,
    keep_previous_as: str | None = None,
    create_folders: bool = True,
    sync_folder: bool = True,
) -> Written | None:
    """Write ``data`` at ``root/relative``; None when the file exists and ``overwrite`` is
    false (nothing written).

    ``keep_previous_as`` names a file beside the target that receives the previous version
    (linked, so it costs nothing whatever its size), renamed into place only once the new
    version is in place."""
    relative = PurePosixPath(relative)
    if relative.is_absolute() or any(p in ("", ".", "..") for p in relative.parts):
        raise WriteRefused(f"{relative} is not a path inside the folder")
    with _folder(root, relative.parent, create=create_folders) as folder:
        written = _place(folder, relative, data, overwrite=overwrite, keep=keep_previous_as)
        if written is not None and sync_folder:
            with contextlib.suppress(OSError):
                os.fsync(folder)
        return written


def write_text(path: Path, text: str) -> Written:
    """``text`` (UTF-8, line endings as given) as the file ``path``, its folder created."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WriteRefused(
            f"cannot create the folder {path.parent}: {_reason(error)}", reason=_reason(error)
        ) from None
    written = write_file(path.parent, path.name, text.encode("utf-8", "surrogatepass"))
    assert written is not None  # overwrite: always written
    return written


def sync_folders(root: Path, folders: Iterable[PurePosixPath]) -> None:
    """Flush the entries of these folders (new and renamed files) to disk; best effort."""
    for relative in sorted(set(folders)):
        with (
            contextlib.suppress(WriteRefused, OSError),
            _folder(root, relative, create=False) as folder,
        ):
            os.fsync(folder)


def remove_leftovers(folder: Path, name: str) -> None:
    """Remove the temporaries a writer of ``name`` (killed while writing) left in ``folder``.

    Only safe where no other writer of that name can be at work (the state, under its lock)."""
    prefix = f".{name[:_NAME_KEPT]}."
    with contextlib.suppress(OSError):
        for leftover in folder.iterdir():
            if leftover.name.startswith(prefix) and leftover.name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    leftover.unlink()


def _dir_fd_supported() -> bool:
    # os.replace shares os.rename's implementation (renameat) and its dir_fd support.
    needed = (os.open, os.mkdir, os.link, os.rename, os.unlink, os.stat)
    return all(f in os.supports_dir_fd for f in needed) and hasattr(os, "O_NOFOLLOW")


# Whether folders can be opened relative to one another (known once: it is the platform's).
DIR_FD_SUPPORTED = _dir_fd_supported()


@contextlib.contextmanager
def _folder(root: Path, relative: PurePosixPath, *, create: bool) -> Iterator[int]:
    """A descriptor of ``root/relative``, reached without following any link below root."""
    if not DIR_FD_SUPPORTED:
        raise WriteRefused(
            "this platform cannot open folders without following links (no dir_fd support); "
            "refusing to write rather than risk writing elsewhere"
        )
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fds: list[int] = []
    try:
        try:
            fds.append(os.open(root, os.O_RDONLY | os.O_DIRECTORY))
        except OSError as error:
            raise WriteRefused(
                f"cannot open the folder {root}: {_reason(error)}", reason=_reason(error)
            ) from None
        walked = PurePosixPath()
        for part in relative.parts:
            walked /= part
            if create:
                try:
                    os.mkdir(part, 0o777, dir_fd=fds[-1])
                except FileExistsError:
                    pass  # opened below, without following a link
                except OSError as error:
                    raise WriteRefused(
                        f"cannot create {walked}/: {_reason(error)}", reason=_reason(error)
                    ) from None
            try:
                fds.append(os.open(part, flags, dir_fd=fds[-1]))
            except OSError as error:
                if error.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise WriteRefused(
                        f"{walked} is a symbolic link or a file, not a folder; links are not "
                        "followed"
                    ) from None
                raise WriteRefused(
                    f"cannot open {walked}/: {_reason(error)}", reason=_reason(error)
                ) from None
        yield fds[-1]
    finally:
        for fd in reversed(fds):
            os.close(fd)


def _place(
    folder: int, relative: PurePosixPath, data: bytes, *, overwrite: bool, keep: str | None
) -> Written | None:
    name = relative.name
    current = _look(folder, relative)
    if current is not None and not overwrite:
        return None
    token = uuid.uuid4().hex[:12]
    temporary = f".{name[:_NAME_KEPT]}.{token}.tmp"
    kept = f".{keep[:_NAME_KEPT]}.{token}.tmp" if keep and current is not None else None
    try:
        key = _write_temporary(folder, temporary, data, current, relative)
        if kept is not None:
            _link_or_copy(folder, name, kept)
        if overwrite:
            os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
        else:
            try:
                os.link(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
            except FileExistsError:
                return None  # appeared since it was looked at: never overwritten
    except OSError as error:
        _remove(folder, kept)
        raise WriteRefused(
            f"cannot write {relative}: {_reason(error)}", reason=_reason(error)
        ) from None
    finally:
        _remove(folder, temporary)
    not_kept = None
    if kept is not None and keep is not None:
        # Only now, so that the kept copy is always older than the file. The file is written
        # at this point: failing to keep the previous one only leaves the older copy there.
        try:
            os.replace(kept, keep, src_dir_fd=folder, dst_dir_fd=folder)
        except OSError as error:
            _remove(folder, kept)
            not_kept = _reason(error)
    return Written(relative, replaced=current is not None, key=key, previous_not_kept=not_kept)


def _look(folder: int, relative: PurePosixPath) -> os.stat_result | None:
    """What is at the target now (never following a link); refuses anything but a file."""
    try:
        current = os.stat(relative.name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise WriteRefused(
            f"cannot look at {relative}: {_reason(error)}", reason=_reason(error)
        ) from None
    if stat.S_ISLNK(current.st_mode):
        raise WriteRefused(f"{relative} is a symbolic link; links are never replaced")
    if not stat.S_ISREG(current.st_mode):
        raise WriteRefused(f"{relative} exists and is not a regular file")
    return current


def _write_temporary(
    folder: int,
    temporary: str,
    data: bytes,
    current: os.stat_result | None,
    relative: PurePosixPath,
) -> FileKey:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(temporary, flags, 0o666, dir_fd=folder)
    except OSError as error:
        raise WriteRefused(
            f"cannot write in the folder of {relative}: {_reason(error)}", reason=_reason(error)
        ) from None
    try:
        if current is not None:
            os.fchmod(fd, stat.S_IMODE(current.st_mode))
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        return file_key(os.fstat(fd))
    finally:
        os.close(fd)


def _link_or_copy(folder: int, name: str, copy: str) -> None:
    """``copy`` holding what ``name`` holds: a hard link, or a copy where links are not had."""
    try:
        os.link(name, copy, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=False)
        return
    except OSError:
        pass
    flags = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    source = os.open(name, flags, dir_fd=folder)
    try:
        target = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666, dir_fd=folder)
        try:
            os.fchmod(target, stat.S_IMODE(os.fstat(source).st_mode))
            while chunk := os.read(source, 1 << 20):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(target, view) :]
            os.fsync(target)
        finally:
            os.close(target)
    finally:
        os.close(source)


def _remove(folder: int, name: str | None) -> None:
    if name is not None:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=folder)


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__
