"""The PostgreSQL state beyond the common contract: its tables, its columns for cheap checks,
one state per project and environment, and what it says when it cannot connect."""

from __future__ import annotations

import socket
import uuid

import psycopg
import pytest

from reconciler.errors import StateError, StateUnreachable
from reconciler.state import StateFile, encode
from reconciler.state.backend import BackendLock, StateKey, open_backend
from reconciler.state.backends.postgres import LOCK_TABLE, STATE_TABLE, PostgresBackend
from reconciler.state.location import PostgresUrl, parse_location
from tests.postgres import PostgresServer
from tests.state.backends.conftest import Place

LINEAGE = "7c1f2a3b-4d5e-4f60-8a71-92b3c4d5e6f7"


def _postgres(url: str) -> PostgresUrl:
    found = parse_location(url)
    assert isinstance(found, PostgresUrl)
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_tables_are_created_on_first_use_and_that_is_said_once(pg_place: Place) -> None:
    schema = f"states_{uuid.uuid4().hex[:8]}"
    url = _postgres(f"{pg_place.url}?schema={schema}")
    lines: list[str] = []

    with PostgresBackend(url, pg_place.key, report=lines.append) as first:
        assert first.read() is None
    with PostgresBackend(url, pg_place.key, report=lines.append) as second:
        assert second.read() is None

    assert len(lines) == 1
    assert f"Created {schema}.{STATE_TABLE} and {schema}.{LOCK_TABLE} in PostgreSQL at" in lines[0]


def test_lineage_and_serial_are_columns_beside_the_document_and_its_backup(
    pg_place: Place, postgres_server: PostgresServer, state_database: str
) -> None:
    backend = pg_place.open()
    try:
        first = backend.write(encode(StateFile.new(LINEAGE, serial=4)), expected=None)
        backend.write(encode(StateFile.new(LINEAGE, serial=5)), expected=first)
    finally:
        backend.close()

    with psycopg.connect(postgres_server.conninfo(state_database)) as connection:
        row = connection.execute(
            f"SELECT lineage, serial, backup_lineage, backup_serial, generation FROM {STATE_TABLE} "
            "WHERE project = %s AND environment = %s",
            (pg_place.key.project, pg_place.key.environment),
        ).fetchone()
    assert row == (LINEAGE, 5, LINEAGE, 4, 2)


def test_each_environment_of_a_project_is_a_state_and_a_lock_of_its_own(pg_place: Place) -> None:
    staging_key = StateKey(pg_place.key.project, "staging")
    production = pg_place.open()
    staging = open_backend(pg_place.location, staging_key)
    try:
        production.write(b"production", expected=None)
        with BackendLock(production, "apply"), BackendLock(staging, "apply"):
            assert staging.read() is None
        assert 'environment "staging"' in staging.location
    finally:
        production.close()
        staging.close()


def test_a_wrong_password_is_refused_naming_user_and_server_but_never_the_password(
    pg_place: Place, postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", "not-the-password-from-env")
    address = f"{postgres_server.host}:{postgres_server.port}"

    for url in (pg_place.url, pg_place.url.replace("soda@", "soda:not-the-password-in-url@")):
        backend = open_backend(_postgres(url), pg_place.key)
        with pytest.raises(StateError) as refused:
            backend.read()
        error = refused.value
        assert not isinstance(error, StateUnreachable)
        assert f'PostgreSQL at {address} refused user "soda": password authentication failed' in (
            error.message
        )
        assert "PGPASSWORD" in (error.hint or "")
        for secret in ("not-the-password", postgres_server.password):
            assert secret not in f"{error.message} {error.hint} {error!r}"


def test_an_unreachable_server_is_named_with_its_port_and_cause(pg_place: Place) -> None:
    port = _free_port()
    url = _postgres(f"postgresql://soda:hunter2@127.0.0.1:{port}/platform")

    with pytest.raises(StateUnreachable) as refused:
        PostgresBackend(url, pg_place.key).read()

    assert (
        f"cannot reach PostgreSQL at 127.0.0.1:{port}: Connection refused" in refused.value.message
    )
    assert "hunter2" not in refused.value.message
    assert refused.value.cured_by_rerun


def test_a_user_who_may_not_create_the_tables_is_told_what_to_ask_for(
    postgres_server: PostgresServer, pg_place: Place
) -> None:
    database = postgres_server.create_database(f"locked_down_{uuid.uuid4().hex[:6]}")
    role = f"reader_{uuid.uuid4().hex[:6]}"
    postgres_server.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'reader-password'")
    url = _postgres(
        f"postgresql://{role}:reader-password@{postgres_server.host}:{postgres_server.port}/{database}"
    )

    with pytest.raises(StateError, match="cannot create the tables") as refused:
        PostgresBackend(url, pg_place.key).read()

    assert "permission denied for schema public" in refused.value.message
    assert "docs/state-backends.md" in (refused.value.hint or "")
    assert "reader-password" not in refused.value.message


def test_a_password_in_the_url_appears_in_no_location_notice_or_error(
    pg_place: Place, postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD")
    secret = postgres_server.password
    url = _postgres(
        pg_place.url.replace("soda@", f"soda:{secret}@") + f"?schema=s_{uuid.uuid4().hex[:8]}"
    )
    said: list[str] = []
    first = PostgresBackend(url, pg_place.key, report=said.append)
    second = PostgresBackend(url, pg_place.key, report=said.append)
    try:
        version = first.write(b"one", expected=None)
        first.write(b"two", expected=version)
        with pytest.raises(StateError) as conflict:
            second.write(b"three", expected=version)
        said.append(f"{conflict.value.message} {conflict.value.hint}")
        with BackendLock(first, "apply"), pytest.raises(StateError) as locked:
            BackendLock(second, "apply").acquire()
        said.append(f"{locked.value.message} {locked.value.hint}")
    finally:
        first.close()
        second.close()

    assert len(said) == 3
    assert said[0].startswith("Created ")
    assert all("postgresql://soda:***@127.0.0.1" in line for line in said[1:])
    assert not [line for line in [*said, first.location, repr(url)] if secret in line]
