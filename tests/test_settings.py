"""The answer kept for reconciler.yml: the folder settings the models made, found again by the
file's bytes and the environment it refers to, never hiding an error, never holding a secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.config import load_project_config
from reconciler.errors import ConfigError
from reconciler.settings import folder_settings, settings_of
from tests.project import working_directory

VALID = """\
contracts: folder
engine: off
rules:
  size-key-type: off
environments:
  zeta: {}
  staging:
    variables: {SCHEMA: analytics_staging, LIMIT: 10}
    rename_data_sources: {pg: pg_staging}
"""


def answers(root: Path) -> list[Path]:
    return sorted((root / ".reconciler" / "cache").glob("config-*.json"))


def written(root: Path, text: str) -> Path:
    path = root / "reconciler.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_kept_answer_is_what_the_models_made(tmp_path: Path) -> None:
    path = written(tmp_path, VALID)
    first = folder_settings(path, environ={})
    assert len(answers(tmp_path)) == 1
    again = folder_settings(path, environ={})
    assert again == first == settings_of(load_project_config(path, environ={}))
    # YAML's bare `off` and a number as a variable, as the models read them.
    assert again.engine == "off"
    assert again.rules == {"size-key-type": "off"}
    assert again.environment("staging").variables == {"SCHEMA": "analytics_staging", "LIMIT": "10"}
    assert again.contracts_dir == tmp_path / "folder"
    assert list(again.environments) == ["zeta", "staging"]  # as written


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (VALID + "engine: sometimes\n", "setting 'engine'"),
        (VALID + "rules: [\n", "reconciler.yml:11:1: the configuration is not valid YAML"),
        (VALID.replace("rename_data_sources: {pg: pg_staging}", "hosts: 1"), "setting 'environ"),
    ],
)
def test_an_edit_that_makes_the_file_invalid_is_refused_every_time(
    tmp_path: Path, text: str, said: str
) -> None:
    path = written(tmp_path, VALID)
    folder_settings(path, environ={})
    written(tmp_path, text)
    for _ in range(2):
        with pytest.raises(ConfigError) as refused:
            folder_settings(path, environ={})
        assert said in str(refused.value)
    assert len(answers(tmp_path)) == 1  # the valid file's, unreachable from the invalid one


def test_a_changed_environment_variable_the_file_refers_to_is_read_again(tmp_path: Path) -> None:
    path = written(tmp_path, "cloud:\n  time_scale: ${env.SCALE}\n")
    folder_settings(path, environ={"SCALE": "5"})
    assert len(answers(tmp_path)) == 1
    with pytest.raises(ConfigError, match="time_scale"):
        folder_settings(path, environ={"SCALE": "-1"})
    folder_settings(path, environ={"SCALE": "5"})


def test_a_damaged_answer_is_set_aside_and_replaced(tmp_path: Path) -> None:
    path = written(tmp_path, VALID)
    made = folder_settings(path, environ={})
    (answer,) = answers(tmp_path)
    header, _, body = answer.read_bytes().partition(b"\n")
    answer.write_bytes(header + b"\n" + body.replace(b'"off"', b'"on"'))
    assert folder_settings(path, environ={}) == made
    assert b'"on"' not in answer.read_bytes()


SECRET = "s3cr3t-value-9f2c"
WITH_SECRETS = f"""\
state: postgres://ci:{SECRET}-pw@db.internal:5432/platform
cloud:
  api_key_secret: ${{env.SODA_CLOUD_API_KEY_SECRET}}
data_sources:
  - {{name: pg, type: postgres, connection: {{password: {SECRET}-ds}}}}
environments:
  staging:
    state: postgres://ci:{SECRET}-env@db.internal:5432/staging
    variables: {{SCHEMA: analytics}}
"""


def test_an_answer_holds_no_secret(tmp_path: Path) -> None:
    path = written(tmp_path, WITH_SECRETS)
    folder_settings(path, environ={"SODA_CLOUD_API_KEY_SECRET": SECRET})
    (answer,) = answers(tmp_path)
    assert SECRET not in answer.read_text(encoding="utf-8")


def test_a_file_whose_folder_settings_come_from_the_environment_gets_no_answer(
    tmp_path: Path,
) -> None:
    path = written(
        tmp_path, "environments:\n  staging:\n    variables: {SCHEMA: '${env.SCHEMA}'}\n"
    )
    settings = folder_settings(path, environ={"SCHEMA": SECRET})
    assert settings.environment("staging").variables == {"SCHEMA": SECRET}
    assert answers(tmp_path) == []


def test_no_cache_and_cache_false_keep_no_answer(tmp_path: Path) -> None:
    contracts = tmp_path / "folder"
    contracts.mkdir()
    written(tmp_path, VALID)
    with working_directory(tmp_path):
        done = CliRunner().invoke(main, ["validate", "--no-cache"])
        assert done.exit_code == 0, done.output
        assert answers(tmp_path) == []
        written(tmp_path, VALID + "cache: false\n")
        done = CliRunner().invoke(main, ["validate"])
        assert done.exit_code == 0, done.output
    assert answers(tmp_path) == []


def test_an_unknown_environment_is_named_beside_the_known_ones(tmp_path: Path) -> None:
    path = written(tmp_path, VALID)
    folder_settings(path, environ={})
    with pytest.raises(
        ConfigError, match=r"no environment 'prod' in .*\(environments: staging, zeta\)"
    ):
        folder_settings(path, environ={}).environment("prod")
