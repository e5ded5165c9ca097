"""The package as a release builds it: sdist and wheel from a tagged commit, the version
from the tag, and a wheel that alone, in a clean virtual environment, runs the example.

The source tree is copied (tracked and untracked files, as git sees them) so that the build
writes nothing into the repository while other tests read it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.packaging.smoke import REPOSITORY, missing_from_wheel, smoke

DISTRIBUTION = "contract-reconciler"
TAG_VERSION = "9.8.7"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Release",
    "GIT_AUTHOR_EMAIL": "release@example.com",
    "GIT_COMMITTER_NAME": "Release",
    "GIT_COMMITTER_EMAIL": "release@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (REPOSITORY / ".git").exists(),
    reason="needs git and a git checkout of the repository (its files are listed by git)",
)


def copy_source(target: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPOSITORY,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        origin = REPOSITORY / name
        if origin.is_file():  # listed but deleted in the work tree: not part of it
            copy = target / name
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, copy)
    return target


def git(source: Path, *arguments: str) -> None:
    import os

    subprocess.run(
        ["git", *arguments],
        cwd=source,
        env={**os.environ, **GIT_IDENTITY},
        capture_output=True,
        check=True,
    )


def scm_version(source: Path) -> str:
    """The version setuptools-scm gives this tree with the project's configuration."""
    done = subprocess.run(
        [sys.executable, "-m", "setuptools_scm"],
        cwd=source,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def build(source: Path, dist: Path) -> tuple[Path, Path]:
    # As a release does: the sdist, then the wheel built from the unpacked sdist (no .git).
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
        capture_output=True,
        check=True,
    )
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    return sdist, wheel


def test_a_tagged_release_builds_a_wheel_that_alone_runs_the_example(tmp_path: Path) -> None:
    source = copy_source(tmp_path / "source")
    git(source, "init", "-q", "-b", "main")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "release")
    git(source, "tag", f"v{TAG_VERSION}")

    sdist, wheel = build(source, tmp_path / "dist")

    assert sdist.name == f"contract_reconciler-{TAG_VERSION}.tar.gz"
    assert wheel.name == f"contract_reconciler-{TAG_VERSION}-py3-none-any.whl"
    assert missing_from_wheel(wheel, source) == []
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(f"contract_reconciler-{TAG_VERSION}.dist-info/METADATA").decode()
        version_module = archive.read("reconciler/_version.py").decode()
    assert not [n for n in names if n.startswith(("tests/", "demo/", "benchmarks/"))]
    assert f"Name: {DISTRIBUTION}\n" in metadata
    assert f"Version: {TAG_VERSION}\n" in metadata
    assert re.search(r"^Requires-Dist: ruamel\.yaml", metadata, re.MULTILINE)
    assert f'__version__ = "{TAG_VERSION}"' in version_module
    with tarfile.open(sdist) as archive:
        assert f"contract_reconciler-{TAG_VERSION}/PKG-INFO" in archive.getnames()

    version = smoke(wheel, tmp_path / "installed", expect_version=TAG_VERSION)

    assert version == f"reconciler, version {TAG_VERSION}"


def test_untagged_clone_and_plain_copy_still_have_a_version(tmp_path: Path) -> None:
    plain = copy_source(tmp_path / "source")

    assert scm_version(plain) == "0.0.0"  # no .git, no PKG-INFO: the fallback

    git(plain, "init", "-q", "-b", "main")
    git(plain, "add", "-A")
    git(plain, "commit", "-q", "-m", "first")
    assert re.fullmatch(r"0\.0\.1\.dev1\+g[0-9a-f]+", scm_version(plain))
