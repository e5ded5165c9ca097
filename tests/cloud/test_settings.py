from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cloud.settings import CloudFlags, resolve_cloud_settings
from reconciler.config import CloudSection, load_project_config
from reconciler.errors import ConfigError

KEYS = {"SODA_CLOUD_API_KEY_ID": "env-id", "SODA_CLOUD_API_KEY_SECRET": "env-secret"}


def test_default_host_is_the_eu_cloud_with_its_reporting_sibling() -> None:
    settings = resolve_cloud_settings(environ=KEYS)
    assert settings.base_url == "https://cloud.soda.io"
    assert settings.reporting_url == "https://reporting.cloud.soda.io/v1"


def test_us_host_derives_the_us_reporting_host() -> None:
    settings = resolve_cloud_settings(environ={**KEYS, "SODA_CLOUD_HOST": "cloud.us.soda.io"})
    assert settings.base_url == "https://cloud.us.soda.io"
    assert settings.reporting_url == "https://reporting.cloud.us.soda.io/v1"


def test_a_full_url_serves_the_reporting_api_itself() -> None:
    settings = resolve_cloud_settings(environ={**KEYS, "SODA_CLOUD_HOST": "http://127.0.0.1:8555/"})
    assert settings.base_url == "http://127.0.0.1:8555"
    assert settings.reporting_url == "http://127.0.0.1:8555/v1"


def test_reporting_host_can_be_given_explicitly() -> None:
    settings = resolve_cloud_settings(
        environ={**KEYS, "SODA_CLOUD_REPORTING_HOST": "reporting.example.com"}
    )
    assert settings.reporting_url == "https://reporting.example.com/v1"


def test_precedence_is_flag_then_environment_then_file() -> None:
    section = CloudSection(host="file.example.com", api_key_id="file-id", api_key_secret="file-s")
    from_file = resolve_cloud_settings(section, environ={})
    assert (from_file.host, from_file.api_key_id) == ("file.example.com", "file-id")
    from_env = resolve_cloud_settings(
        section, environ={**KEYS, "SODA_CLOUD_HOST": "env.example.com"}
    )
    assert (from_env.host, from_env.api_key_id) == ("env.example.com", "env-id")
    from_flag = resolve_cloud_settings(
        section, flags=CloudFlags(host="flag.example.com", api_key_id="flag-id"), environ=KEYS
    )
    assert (from_flag.host, from_flag.api_key_id) == ("flag.example.com", "flag-id")
    assert from_flag.api_key_secret.reveal() == "env-secret"


def test_missing_credentials_name_the_variables_to_set() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_cloud_settings(environ={"SODA_CLOUD_API_KEY_ID": "x"})
    assert "SODA_CLOUD_API_KEY_SECRET is not set" in str(caught.value)
    assert "SODA_CLOUD_API_KEY_ID" not in str(caught.value)
    with pytest.raises(ConfigError) as both:
        resolve_cloud_settings(environ={})
    assert "SODA_CLOUD_API_KEY_ID and SODA_CLOUD_API_KEY_SECRET are not set" in str(both.value)
    assert both.value.hint is not None
    assert "SODA_CLOUD_HOST=local" in both.value.hint


def test_local_needs_no_other_setting() -> None:
    settings = resolve_cloud_settings(environ={"SODA_CLOUD_HOST": "local"})
    assert settings.is_local
    assert settings.api_key_id == "local"
    assert settings.time_scale > 1


def test_credentials_in_the_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_cloud_settings(
            environ={**KEYS, "SODA_CLOUD_HOST": "https://id:hunter2@cloud.soda.io"}
        )
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in str(caught.value.hint)


def test_secret_never_shows_in_repr_or_str() -> None:
    settings = resolve_cloud_settings(environ={**KEYS, "SODA_CLOUD_API_KEY_SECRET": "hunter2"})
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings.api_key_secret)
    assert settings.api_key_secret.reveal() == "hunter2"


def test_reconciler_yml_env_references_resolve(tmp_path: Path) -> None:
    config_file = tmp_path / "reconciler.yml"
    config_file.write_text(
        "cloud:\n  host: cloud.us.soda.io\n  api_key_id: ${env.MY_ID}\n  api_key_secret: ${env.MY_SECRET}\n"
    )
    config = load_project_config(config_file, environ={"MY_ID": "a", "MY_SECRET": "b"})
    settings = resolve_cloud_settings(config.cloud, environ={})
    assert (settings.api_key_id, settings.api_key_secret.reveal()) == ("a", "b")
    unset = load_project_config(config_file, environ={})
    with pytest.raises(ConfigError, match="SODA_CLOUD_API_KEY_ID and SODA_CLOUD_API_KEY_SECRET"):
        resolve_cloud_settings(unset.cloud, environ={})


def test_unknown_setting_in_reconciler_yml_is_a_clear_error(tmp_path: Path) -> None:
    config_file = tmp_path / "reconciler.yml"
    config_file.write_text("contract: x\n")
    with pytest.raises(ConfigError, match="setting 'contract'"):
        load_project_config(config_file, environ={})


@pytest.mark.parametrize(
    "host",
    ["http://127.0.0.1:8555", "http://localhost:8555", "http://[::1]:8555", "http://127.8.0.2"],
)
def test_plain_http_is_accepted_for_a_loopback_host(host: str) -> None:
    settings = resolve_cloud_settings(environ={**KEYS, "SODA_CLOUD_HOST": host})
    assert settings.base_url.startswith("http://")


@pytest.mark.parametrize(
    "environ",
    [
        {"SODA_CLOUD_HOST": "http://soda.example.com"},
        {"SODA_CLOUD_HOST": "http://10.0.0.8:8555"},
        {
            "SODA_CLOUD_HOST": "https://soda.example.com",
            "SODA_CLOUD_REPORTING_HOST": "http://r.example.com",
        },
    ],
)
def test_plain_http_to_another_host_is_refused_before_any_request(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_cloud_settings(environ={**KEYS, **environ})
    assert "refusing to send the API key over plain HTTP" in str(caught.value)
    assert "env-secret" not in str(caught.value)
    assert caught.value.hint is not None
    assert "--allow-insecure-http" in caught.value.hint


def test_plain_http_to_another_host_is_allowed_only_when_asked(tmp_path: Path) -> None:
    environ = {**KEYS, "SODA_CLOUD_HOST": "http://soda.example.com"}
    by_flag = resolve_cloud_settings(flags=CloudFlags(allow_insecure_http=True), environ=environ)
    by_env = resolve_cloud_settings(environ={**environ, "RECONCILER_ALLOW_INSECURE_HTTP": "1"})
    (tmp_path / "reconciler.yml").write_text("cloud:\n  allow_insecure_http: true\n")
    project = load_project_config(tmp_path / "reconciler.yml", environ={})
    by_file = resolve_cloud_settings(project.cloud, environ=environ)
    assert by_flag.allow_insecure_http
    assert by_env.allow_insecure_http
    assert by_file.allow_insecure_http
    with pytest.raises(ConfigError, match="yes/no"):
        resolve_cloud_settings(environ={**environ, "RECONCILER_ALLOW_INSECURE_HTTP": "maybe"})


def test_the_retry_timeout_is_read_from_flag_environment_or_file(tmp_path: Path) -> None:
    assert resolve_cloud_settings(environ=KEYS).retry_timeout == 180.0
    (tmp_path / "reconciler.yml").write_text("cloud:\n  retry_timeout: 10m\n")
    section = load_project_config(tmp_path / "reconciler.yml", environ={}).cloud
    assert resolve_cloud_settings(section, environ=KEYS).retry_timeout == 600.0
    env = {**KEYS, "RECONCILER_RETRY_TIMEOUT": "90s"}
    assert resolve_cloud_settings(section, environ=env).retry_timeout == 90.0
    flags = CloudFlags(retry_timeout="1m30s")
    assert resolve_cloud_settings(section, flags=flags, environ=env).retry_timeout == 90.0
    assert (
        resolve_cloud_settings(flags=CloudFlags(retry_timeout="45"), environ=KEYS).retry_timeout
        == 45.0
    )
    with pytest.raises(ConfigError, match="--retry-timeout: 'soon' is not a duration"):
        resolve_cloud_settings(flags=CloudFlags(retry_timeout="soon"), environ=KEYS)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90.0), ("3m", 180.0), ("1h30m", 5400.0), ("500ms", 0.5), ("2.5", 2.5), ("0", 0.0)],
)
def test_durations_read_as_people_write_them(text: str, seconds: float) -> None:
    from reconciler.duration import parse_duration

    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "3 m", "-5", "5x", "1h-3m", "nan", "inf"])
def test_what_is_not_a_duration_is_refused(text: str) -> None:
    from reconciler.duration import parse_duration

    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)
