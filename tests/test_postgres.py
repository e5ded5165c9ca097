"""The tests' PostgreSQL server: a real cluster, owned by a non-root user, on loopback; and
the rule that in CI its tests cannot skip."""

from __future__ import annotations

import os

import pytest

from tests.postgres import REQUIRED_ENV, PostgresServer, missing_reason


def test_the_server_answers_on_loopback_with_its_password(postgres_server: PostgresServer) -> None:
    import psycopg

    assert postgres_server.host == "127.0.0.1"
    with psycopg.connect(postgres_server.conninfo()) as connection:
        row = connection.execute("SELECT current_user, inet_server_addr()::text").fetchone()
    assert row == ("soda", "127.0.0.1/32")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(postgres_server.conninfo().replace(postgres_server.password, "nope"))


def test_the_cluster_never_runs_as_root(postgres_server: PostgresServer) -> None:
    assert os.stat(postgres_server.folder / "data").st_uid != 0


def test_when_postgres_is_required_nothing_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRED_ENV, "1")
    assert missing_reason() is None
