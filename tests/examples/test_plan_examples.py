"""plan-examples/: the checked-in outputs are what a fresh regeneration makes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from demo.plan_examples import EXAMPLES, OUTPUT_DIR, README, check, generate, normalise, write
from tests.examples.support import REPOSITORY


@contextmanager
def busy_machine() -> Iterator[None]:
    """Another process spinning on a core, as on a shared CI runner (one is enough: the
    suite's other worker keeps the rest busy, and more would only slow its tests down)."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


def test_plan_examples_are_what_a_fresh_regeneration_makes_even_on_a_busy_machine() -> None:
    # The checked-in files were made on another run (and machine): any figure that followed
    # the machine's speed (a poll more, a save less) would differ here.
    with busy_machine():
        problems = check(REPOSITORY / OUTPUT_DIR, generate())

    assert not problems, (
        "\n".join(problems) + f"\n{OUTPUT_DIR}/ is out of date: regenerate it with "
        "`make plan-examples` and review the difference."
    )


def test_json_examples_are_json_and_every_file_is_listed_in_the_readme() -> None:
    readme = (REPOSITORY / OUTPUT_DIR / README).read_text(encoding="utf-8")
    for example in EXAMPLES:
        assert f"[`{example.name}`]({example.name})" in readme
        if example.name.endswith(".json"):
            json.loads((REPOSITORY / OUTPUT_DIR / example.name).read_text(encoding="utf-8"))


def test_check_names_a_changed_a_missing_and_an_unknown_file(tmp_path: Path) -> None:
    outputs = {"a.txt": "one\ntwo\n", "b.txt": "three\n", README: "# Plan examples\n"}
    write(tmp_path, outputs)
    (tmp_path / "a.txt").write_text("one\nTWO\n")
    (tmp_path / "b.txt").unlink()
    (tmp_path / "old.txt").write_text("left over\n")
    (tmp_path / "github-actions").mkdir()

    problems = check(tmp_path, outputs)

    assert len(problems) == 3
    assert "-TWO\n+two\n" in problems[0]
    assert problems[1].startswith(f"--- {OUTPUT_DIR}/b.txt (checked in)")
    assert problems[2] == f"{OUTPUT_DIR}/old.txt: not made by make plan-examples; remove it"
    assert check(tmp_path, {**outputs, "a.txt": "one\nTWO\n", "old.txt": "left over\n"}) == [
        problems[1]
    ]


def test_timestamps_become_one_instant_keeping_their_precision() -> None:
    text = 'created 2026-11-25T12:32:34Z, "lastUpdated": "2026-11-25T12:32:31.105Z", +02:00 2025-03-01T10:00:00+02:00'

    assert normalise(text) == (
        'created 2026-01-01T00:00:00Z, "lastUpdated": "2026-01-01T00:00:00.000Z", '
        "+02:00 2026-01-01T00:00:00Z"
    )


def test_random_ids_are_numbered_and_ids_derived_from_names_are_kept() -> None:
    scan = "8bf2ba58-a35a-49fc-bf5f-42bfe0696dfa"
    version = "792CC22A-A0D2-43D1-AC9C-46E43F4D48D4"
    derived = "59c2321e-b3d3-581a-b28f-18c2e0408524"  # a version 5 UUID

    text = f"{scan} {version} {derived} {scan.upper()}"

    assert normalise(text) == (
        "00000000-0000-4000-8000-000000000001 00000000-0000-4000-8000-000000000002 "
        f"{derived} 00000000-0000-4000-8000-000000000001"
    )


def test_ports_of_the_local_cloud_are_made_stable_and_serials_are_kept() -> None:
    text = (
        "scan: http://127.0.0.1:40727/o/x, http://localhost:3999/v1\n"
        '"serial": 17,\nthe state is now at serial 20.\n'
    )

    assert normalise(text) == (
        "scan: http://127.0.0.1:8555/o/x, http://localhost:8555/v1\n"
        '"serial": 17,\nthe state is now at serial 20.\n'
    )
