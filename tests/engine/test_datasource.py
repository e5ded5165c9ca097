"""Data source configurations: read from files and mappings, refused with their place, and
their secrets known so they can be redacted."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.engine import (
    REDACTED,
    data_source_from_mapping,
    load_data_source,
    parse_data_source,
)
from reconciler.errors import DataSourceConfigError

POSTGRES = """\
type: postgres
name: warehouse
connection:
  host: ${env.WH_HOST}
  user: soda
  password: ${env.WH_PASSWORD}
  database: analytics
"""


def test_a_file_is_read_with_its_type_name_and_env_references(tmp_path: Path) -> None:
    path = tmp_path / "ds.yml"
    path.write_text(POSTGRES, encoding="utf-8")
    source = load_data_source(path)
    assert (source.type, source.name, source.origin) == ("postgres", "warehouse", str(path))
    assert source.text == POSTGRES  # handed to soda-core as written
    assert source.env_names == ("WH_HOST", "WH_PASSWORD")


def test_env_values_and_password_like_keys_are_secrets_and_redacted() -> None:
    source = data_source_from_mapping(
        {
            "type": "snowflake",
            "name": "sf",
            "connection": {
                "account": "acme",
                "password": "hunter22",
                "private_key": "-----KEY-----",
                "user": "${env.SF_USER}",
            },
        },
        origin="seed.yml:data_sources[0]",
    )
    environ = {"SF_USER": "svc_reader", "UNRELATED": "visible"}
    assert set(source.secrets(environ)) == {"hunter22", "-----KEY-----", "svc_reader"}
    said = "login svc_reader with hunter22 failed (key -----KEY-----) visible acme"
    assert source.redact(said, environ) == (
        f"login {REDACTED} with {REDACTED} failed (key {REDACTED}) visible acme"
    )


def test_a_secret_that_contains_another_is_redacted_whole() -> None:
    source = data_source_from_mapping(
        {"type": "postgres", "name": "p", "connection": {"password": "abc", "token": "xabcx"}},
        origin="inline",
    )
    assert source.redact("xabcx and abc") == f"{REDACTED} and {REDACTED}"


def test_the_configuration_never_shows_its_text_or_secrets_in_repr() -> None:
    source = parse_data_source(POSTGRES.replace("${env.WH_PASSWORD}", "s3cret-value"))
    assert "s3cret-value" not in repr(source)
    assert "s3cret-value" in source.secrets({})


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("- type: postgres\n", "ds.yml:1:1", "a mapping with `type`, `name` and `connection`"),
        ("type: postgres\nname: ''\nconnection: {}\n", "ds.yml:2:7", "`name` must be"),
        ("name: pg\nconnection: {}\n", "ds.yml:1:1", "`type` must be"),
        ("type: postgres\nname: a/b\nconnection: {}\n", "ds.yml:2:7", "contains '/'"),
        ("type: postgres\nname: pg\nconnection: localhost\n", "ds.yml:3:13", "`connection`"),
        ("type: postgres\nname: [pg\n", "ds.yml:3:1", "not valid YAML"),
    ],
)
def test_a_bad_configuration_is_refused_with_its_place(text: str, where: str, what: str) -> None:
    with pytest.raises(DataSourceConfigError) as raised:
        parse_data_source(text, origin="ds.yml")
    assert str(raised.value).startswith(f"{where}: "), str(raised.value)
    assert what in str(raised.value)


def test_an_unreadable_file_says_which(tmp_path: Path) -> None:
    with pytest.raises(DataSourceConfigError, match="cannot read the data source file"):
        load_data_source(tmp_path / "missing.yml")
