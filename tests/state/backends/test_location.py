"""State locations as people write them, and the rule that a shown URL holds no secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.state.location import (
    LocalPath,
    PostgresUrl,
    S3Url,
    parse_location,
    redact,
    scrub,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (".reconciler/state.json", Path("/project/.reconciler/state.json")),
        ("/var/lib/state.json", Path("/var/lib/state.json")),
        ("file:///var/lib/state.json", Path("/var/lib/state.json")),
        (r"C:\states\state.json", Path("/project") / r"C:\states\state.json"),
    ],
)
def test_a_path_is_a_local_state_file_taken_from_the_project(given: str, expected: Path) -> None:
    assert parse_location(given, base=Path("/project")) == LocalPath(expected)


def test_a_postgres_url_keeps_libpq_parameters_and_takes_its_schema_out() -> None:
    found = parse_location(
        "postgresql://ci@db.internal:5433/platform?sslmode=require&schema=reconciler"
    )

    assert found == PostgresUrl(
        conninfo="postgresql://ci@db.internal:5433/platform?sslmode=require",
        schema="reconciler",
        shown="postgresql://ci@db.internal:5433/platform?sslmode=require",
    )
    assert isinstance(parse_location("postgres:///platform"), PostgresUrl)


def test_an_s3_url_names_bucket_key_endpoint_and_region() -> None:
    found = parse_location(
        "s3://team-states/reconciler/production.json?endpoint=http://127.0.0.1:9000&region=eu-west-1"
    )

    assert found == S3Url(
        "team-states", "reconciler/production.json", "http://127.0.0.1:9000", "eu-west-1"
    )
    assert isinstance(found, S3Url)
    assert found.shown == "s3://team-states/reconciler/production.json"


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("", "is empty"),
        ("gs://bucket/state.json", "unknown scheme gs://"),
        ("s3://team-states", "names no object"),
        ("s3://team-states/folder/", "names no object"),
        ("s3://Team_States/state.json", "is not an S3 bucket name"),
        ("s3://team-states/state.json?profile=ci", "unknown parameter profile"),
        ("s3://team-states/state.json?endpoint=minio:9000", "must be an http:// or https:// URL"),
        ("postgres://db/platform?schema=drop table", "is not a plain SQL name"),
    ],
)
def test_a_location_that_cannot_work_is_refused_saying_why(given: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem) as refused:
        parse_location(given)
    assert refused.value.hint


def test_credentials_in_an_s3_url_are_refused_without_showing_them() -> None:
    with pytest.raises(ConfigError, match="holds credentials") as refused:
        parse_location("s3://AKIAEXAMPLE:wJalrXUtnFEMI@team-states/state.json")
    assert "wJalrXUtnFEMI" not in refused.value.message
    assert "AWS chain" in (refused.value.hint or "")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://ci:hunter2@db:5432/platform", "postgres://ci:***@db:5432/platform"),
        ("postgres://ci:hun/ter?2@db/platform", "postgres://ci:***@db/platform"),
        ("postgres://ci:p@ss@db/platform", "postgres://ci:***@db/platform"),
        (
            "postgres://db/platform?sslmode=require&password=hunter2&sslpassword=x",
            "postgres://db/platform?sslmode=require&password=***&sslpassword=***",
        ),
        ("postgres://db:5432/platform?password=hun@ter2", "postgres://db:***@ter2"),
        ("postgres://ci@db/platform", "postgres://ci@db/platform"),
        ("s3://team-states/state.json", "s3://team-states/state.json"),
        ("relative/state.json", "relative/state.json"),
    ],
)
def test_a_shown_url_never_holds_a_password(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_a_parsed_postgres_url_shows_and_represents_itself_without_its_password() -> None:
    found = parse_location("postgresql://ci:hunter2@db/platform?password=hunter3")

    assert isinstance(found, PostgresUrl)
    assert "hunter" not in found.shown
    assert "hunter" not in repr(found)
    assert "hunter2" in found.conninfo  # libpq still gets it


def test_scrub_removes_every_secret_from_a_message() -> None:
    message = "auth failed for hunter2 (token abc123, again hunter2)"
    assert (
        scrub(message, ["hunter2", None, "abc123", ""])
        == "auth failed for *** (token ***, again ***)"
    )
