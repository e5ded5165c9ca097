"""``reconciler state migrate --to LOCATION``: a state copied from a local file to PostgreSQL
(a real server) and back keeps its lineage and serial, so plans made from it stay valid; a
target that holds another state is refused; ``state show`` and ``state forget`` work there."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.state import StateFile, StateStore, encode
from tests.project import working_directory
from tests.state.backends.conftest import Place
from tests.state.factories import dataset, record


def reconciler(root: Path, place: Place, args: Sequence[str]) -> Result:
    with working_directory(root):
        return CliRunner().invoke(
            main, list(args), env={**place.env, "RECONCILER_ENV": None}, catch_exceptions=False
        )


def url_of(place: Place) -> str:
    """The place's database, this test's project in it (``?project=``)."""
    return f"{place.url}?project={place.key.project}"


def local_state(path: Path, *records: int) -> StateFile:
    store = StateStore(path)
    with store.lock("apply"):
        state = store.load()
        for n in records:
            state = store.save(state.with_record(dataset(n), record(n)))
    return state


def test_a_state_goes_to_postgres_and_back_keeping_lineage_and_serial(
    pg_place: Place, tmp_path: Path
) -> None:
    original = local_state(tmp_path / "state.json", 1, 2, 3)
    assert original.serial == 3

    there = reconciler(
        tmp_path, pg_place, ["state", "migrate", "--state", "state.json", "--to", url_of(pg_place)]
    )

    assert there.exit_code == 0, there.output
    assert f"lineage {original.lineage}, serial 3, 3 datasets" in there.output
    shown = reconciler(
        tmp_path, pg_place, ["state", "show", "--state", url_of(pg_place), "--format", "json"]
    )
    document = json.loads(shown.stdout)
    assert (document["backend"], document["lineage"], document["serial"]) == (
        "postgres",
        original.lineage,
        3,
    )
    assert set(document["datasets"]) == {dataset(1), dataset(2), dataset(3)}

    back = reconciler(
        tmp_path, pg_place, ["state", "migrate", "--state", url_of(pg_place), "--to", "back.json"]
    )

    assert back.exit_code == 0, back.output
    returned = StateStore(tmp_path / "back.json").load()
    assert (returned.lineage, returned.serial) == (original.lineage, 3)
    assert (tmp_path / "back.json").read_bytes() == encode(original)
    again = reconciler(
        tmp_path, pg_place, ["state", "migrate", "--state", "state.json", "--to", url_of(pg_place)]
    )
    assert again.exit_code == 0
    assert "holds this state already" in again.output


def test_a_target_holding_another_state_is_refused_and_left_as_it_was(
    pg_place: Place, tmp_path: Path
) -> None:
    first = local_state(tmp_path / "first.json", 1)
    local_state(tmp_path / "second.json", 2, 3)
    assert (
        reconciler(
            tmp_path,
            pg_place,
            ["state", "migrate", "--state", "first.json", "--to", url_of(pg_place)],
        ).exit_code
        == 0
    )

    refused = reconciler(
        tmp_path, pg_place, ["state", "migrate", "--state", "second.json", "--to", url_of(pg_place)]
    )

    assert refused.exit_code == 1
    assert f"already holds another state (lineage {first.lineage}, serial 1)" in refused.output
    assert pg_place.env["PGPASSWORD"] not in refused.output
    forgot = reconciler(
        tmp_path, pg_place, ["state", "forget", dataset(1), "--state", url_of(pg_place)]
    )
    assert forgot.exit_code == 0, forgot.output
    assert "serial 2" in forgot.output
