"""The locks in requirements/ (what `make test`, `make demo`, CI and the GitHub Action install)
agree with pyproject.toml: every requirement is pinned, at a version it allows, with hashes.
A dependency added to pyproject.toml without `make lock` fails here, saying so."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.packaging.smoke import REPOSITORY

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 has tomli (setuptools-scm and mypy need it)
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

LOCKS = REPOSITORY / "requirements"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
REFRESH = "run `make lock` and commit requirements/"


def pins(lock: Path) -> dict[str, set[str]]:
    """Package -> the versions pinned (one per Python where markers differ)."""
    found: dict[str, set[str]] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found.setdefault(canonicalize_name(match.group(1)), set()).add(match.group(2))
    return found


def project() -> dict[str, object]:
    document: dict[str, object] = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())
    return document


def requirements(*extras: str) -> list[Requirement]:
    document = project()
    table = document["project"]
    assert isinstance(table, dict)
    build = document["build-system"]
    assert isinstance(build, dict)
    found = [Requirement(r) for r in [*table["dependencies"], *build["requires"]]]
    for extra in extras:
        found += [Requirement(r) for r in table["optional-dependencies"][extra]]
    own = canonicalize_name(str(table["name"]))
    return [r for r in found if canonicalize_name(r.name) != own]  # the extras of itself


@pytest.mark.parametrize(
    ("lock", "extras"),
    [
        ("base.txt", ()),
        ("full.txt", ("duckdb", "postgres", "postgres-state", "s3")),
        ("test.txt", ("duckdb", "postgres", "postgres-state", "s3", "test")),
    ],
)
def test_every_requirement_is_pinned_at_a_version_it_allows(
    lock: str, extras: tuple[str, ...]
) -> None:
    pinned = pins(LOCKS / lock)

    for requirement in requirements(*extras):
        versions = pinned.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in requirements/{lock}: {REFRESH}"
        allowed = [v for v in versions if requirement.specifier.contains(v, prereleases=True)]
        assert allowed, f"requirements/{lock} pins {requirement} at {versions}: {REFRESH}"


@pytest.mark.parametrize("lock", ["base.txt", "full.txt", "test.txt"])
def test_every_pin_has_hashes_and_the_lock_says_how_it_is_made(lock: str) -> None:
    text = (LOCKS / lock).read_text(encoding="utf-8")

    assert "#    make lock\n" in text
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    for entry in entries:
        if PIN.match(entry):
            assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_the_smaller_locks_agree_with_the_test_lock() -> None:
    everything = pins(LOCKS / "test.txt")

    for lock in ("base.txt", "full.txt"):
        for name, versions in pins(LOCKS / lock).items():
            assert versions <= everything.get(name, set()), f"{lock}: {name} {versions}"


def test_the_build_tools_of_the_lock_are_those_of_pyproject() -> None:
    listed = [
        line
        for line in (LOCKS / "build.in").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    build = project()["build-system"]
    assert isinstance(build, dict)

    assert listed == build["requires"]
