"""A wheel, installed alone into a clean virtual environment, gives a working reconciler.

Used by the wheel test and by the release workflow, on the wheel it is about to publish::

    python -m tests.packaging.smoke dist/contract_reconciler-1.2.3-py3-none-any.whl \\
        --expect-version 1.2.3

Standard library only: it runs before anything is installed. Every step raises
``SmokeFailed`` saying what went wrong; nothing of the source tree is importable from the
environment it makes (the commands run outside the tree, from the environment's own bin).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

REPOSITORY = Path(__file__).resolve().parents[2]
# What a team's repository holds next to the reconciler: the example project.
EXAMPLE = ("reconciler.yml", "contracts", "demo/cloud-seed.yml")
PACKAGE = "reconciler"


class SmokeFailed(Exception):
    pass


def missing_from_wheel(wheel: Path, source: Path = REPOSITORY) -> list[str]:
    """Files of the source package (its modules, py.typed, any data it reads) that the
    wheel lacks; the generated _version.py must be there too."""
    with zipfile.ZipFile(wheel) as archive:
        inside = {name for name in archive.namelist() if name.startswith(f"{PACKAGE}/")}
    wanted = {f"{PACKAGE}/_version.py"}
    for path in (source / PACKAGE).rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            wanted.add(PurePosixPath(path.relative_to(source)).as_posix())
    return sorted(wanted - inside)


def install(wheel: Path, venv: Path) -> Path:
    """A new virtual environment at ``venv`` with the wheel and its dependencies; its bin."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    # This interpreter's pip installs into the new environment: no pip is left inside it.
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)])
    return python.parent


def check_installed(bin_dir: Path, workdir: Path, *, expect_version: str | None) -> str:
    """Run the installed reconciler on a copy of the example; its ``--version`` line."""
    project = workdir / "project"
    for name in EXAMPLE:
        origin, copy = REPOSITORY / name, project / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, copy)
        else:
            shutil.copy2(origin, copy)
    reconciler = str(bin_dir / "reconciler")
    version = _run([reconciler, "--version"], cwd=project).strip()
    if expect_version is not None and version != f"reconciler, version {expect_version}":
        raise SmokeFailed(f"`reconciler --version` says {version!r}, not {expect_version}")
    location = _run(
        [str(bin_dir / "python"), "-c", f"import {PACKAGE}; print({PACKAGE}.__file__)"],
        cwd=project,
    ).strip()
    if not Path(location).resolve().is_relative_to(bin_dir.parent.resolve()):
        raise SmokeFailed(f"the package was imported from {location}, not the environment")
    _run([reconciler, "validate"], cwd=project)
    _run([reconciler, "fmt", "--check"], cwd=project)
    # The embedded local Soda Cloud: the emulator, its seed and its HTTP server, from the wheel.
    _run([reconciler, "plan"], cwd=project)
    return version


def _run(command: Sequence[str], *, cwd: Path | None = None) -> str:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SODA_CLOUD_", "PYTHON", "RECONCILER_"))
    }
    environment["NO_COLOR"] = "1"
    done = subprocess.run(
        list(command), cwd=cwd, env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SmokeFailed(
            f"`{' '.join(command)}` exited {done.returncode}\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def smoke(wheel: Path, workdir: Path, *, expect_version: str | None = None) -> str:
    missing = missing_from_wheel(wheel)
    if missing:
        raise SmokeFailed(f"{wheel.name} lacks {', '.join(missing)}")
    return check_installed(install(wheel, workdir / "venv"), workdir, expect_version=expect_version)


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("wheel", type=Path)
    parser.add_argument("--expect-version", default=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    options = arguments().parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        try:
            print(smoke(options.wheel, Path(workdir), expect_version=options.expect_version))
        except SmokeFailed as failed:
            print(f"smoke test failed: {failed}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
