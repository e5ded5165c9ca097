"""Project configuration: ``reconciler.yml``.

```yaml
contracts: contracts            # the desired-state folder (default: contracts/)
state: .reconciler/state.json   # the state file (default)
generate: skeleton              # how apply fills stub files: skeleton | ai
verify: changed                 # which datasets apply verifies: none | changed | changed-checks | all
cloud:                          # Soda Cloud connection; values may be ${env.NAME}
  host: cloud.soda.io           # cloud.soda.io | cloud.us.soda.io | a URL | local
  api_key_id: ${env.SODA_CLOUD_API_KEY_ID}
  api_key_secret: ${env.SODA_CLOUD_API_KEY_SECRET}
  reporting_host: https://reporting.cloud.soda.io/v1
  retry_timeout: 3m             # how long one call may keep failing before it is given up on
  allow_insecure_http: false    # send the key to a non-loopback http:// host (never by default)
  # host: local only: the embedded local Soda Cloud's data file, first-start seed, time scale
  data: .reconciler/local-cloud.json
  seed: cloud-seed.yml
  time_scale: 60                # or `simulated`: waits take no time, every run the same
cache: true                     # keep what parsing each file produced in .reconciler/cache/
rules:                          # a rule's severity for the whole project (docs/validate.md)
  size-key-type: warning        # error | warning | off; errors of Soda's engine cannot be set
engine: auto                    # Soda's engine referees validate: auto | on | off
check_data: none                # plan runs changed contracts on today's data: none | changed
data_sources:                   # for check_data: Soda data source files, or inline
  - soda/warehouse.yml          # ${env.NAME} in them is resolved by Soda's engine, never here
environments:                   # targets of the same folder, chosen with --env / RECONCILER_ENV
  staging:
    host: cloud.soda.io
    api_key_id_env: SODA_STAGING_API_KEY_ID        # the variables holding its key
    api_key_secret_env: SODA_STAGING_API_KEY_SECRET
    state: postgres://ci@db.internal:5432/platform  # a path, postgres://... or s3://BUCKET/KEY
    variables: {SCHEMA: analytics_staging}          # values for the contracts' ${var.NAME}
    rename_data_sources: {warehouse: warehouse_staging}
```

``state:`` (top level and per environment) is a path, ``postgres://...`` or
``s3://BUCKET/KEY`` (``docs/state-backends.md``).

Relative paths are relative to the directory holding ``reconciler.yml``. Precedence for each
setting is: command-line flag > environment > this file > default.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from reconciler.environment import ALL, NAME, Environment
from reconciler.errors import ConfigError
from reconciler.settings import CACHE_DIR as DEFAULT_CACHE_DIR
from reconciler.settings import CONFIG_FILE_NAME

DEFAULT_CONTRACTS_DIR = "contracts"
DEFAULT_STATE_PATH = ".reconciler/state.json"

# A rule's severity (reconciler.contract.silence.RuleSetting; not imported: reading the
# configuration must not load the contract language).
RuleSetting = Literal["error", "warning", "off"]
# Whether Soda's engine referees validate (reconciler.contract.referee.EngineMode).
EngineMode = Literal["auto", "on", "off"]
CheckData = Literal["changed", "none"]
# Kept as written: soda-core resolves their ${env.NAME} itself, so that the engine module
# knows which values are secrets and redacts them (docs/engine.md).
_VERBATIM = frozenset({"data_sources"})

_ENV_REF = re.compile(r"\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DATA_SOURCE = re.compile(r"[^/\s]+")


class CloudSection(BaseModel):
    """The ``cloud:`` section as written; ``${env.NAME}`` is resolved when read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str | None = None
    api_key_id: str | None = None
    api_key_secret: str | None = Field(default=None, repr=False)
    reporting_host: str | None = None
    # A duration (90s, 3m, or seconds as a number): how long one call may keep failing.
    retry_timeout: str | float | None = None
    allow_insecure_http: bool | None = None
    # Local Soda Cloud only: clock seconds per real second (rate limits and scans run faster)
    # or "simulated" (the clock moves only when everything waits for it), where it keeps its
    # data, and the seed it starts from the first time.
    time_scale: Annotated[float, Field(gt=0)] | Literal["simulated"] | None = None
    data: Path | None = None
    seed: Path | None = None


class EnvironmentSection(BaseModel):
    """One entry of ``environments:``: where that target is and how contracts render there."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str | None = None
    reporting_host: str | None = None
    api_key_id_env: str | None = None
    api_key_secret_env: str | None = None
    state: str | None = None
    variables: dict[str, str] = Field(default_factory=dict)
    rename_data_sources: dict[str, str] = Field(default_factory=dict)

    @field_validator("api_key_id_env", "api_key_secret_env")
    @classmethod
    def _variable_names(cls, name: str | None) -> str | None:
        if name is not None and not _VARIABLE_NAME.fullmatch(name):
            raise PydanticCustomError(
                "variable_name",
                f"{name!r} is not the name of an environment variable (letters, digits, _); "
                "give the variable's name, not its value",
            )
        return name

    @field_validator("variables", mode="before")
    @classmethod
    def _values_as_text(cls, values: Any) -> Any:
        # A value reaches a contract as text, as `--var NAME=VALUE` does.
        if not isinstance(values, dict):
            return values
        return {name: _as_text(value) for name, value in values.items()}

    @field_validator("variables")
    @classmethod
    def _variable_keys(cls, values: dict[str, str]) -> dict[str, str]:
        for name in values:
            if not _VARIABLE_NAME.fullmatch(name):
                raise PydanticCustomError(
                    "variable_name",
                    f"{name!r} is not a contract variable name (letters, digits and _)",
                )
        return values

    @field_validator("rename_data_sources")
    @classmethod
    def _renames(cls, renames: dict[str, str]) -> dict[str, str]:
        for source, target in renames.items():
            for name in (source, target):
                if not isinstance(name, str) or not _DATA_SOURCE.fullmatch(name):
                    raise PydanticCustomError(
                        "data_source_name",
                        f"{name!r} is not a data source name (the first part of a dataset "
                        "name: no '/', no spaces)",
                    )
        targets = sorted(renames.values())
        twice = sorted({t for t in targets if targets.count(t) > 1})
        if twice:
            raise PydanticCustomError(
                "rename_collision",
                f"two data sources are renamed to {twice[0]!r}: datasets of both would be one",
            )
        return renames

    def environment(self, name: str) -> Environment:
        return Environment(
            name=name,
            host=self.host,
            reporting_host=self.reporting_host,
            api_key_id_env=self.api_key_id_env,
            api_key_secret_env=self.api_key_secret_env,
            state=self.state,
            variables=dict(self.variables),
            renames=dict(self.rename_data_sources),
        )


def _as_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (int, float)) else value


class ProjectConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    source: Path | None = Field(default=None, exclude=True)
    contracts: Path = Path(DEFAULT_CONTRACTS_DIR)
    state: str = DEFAULT_STATE_PATH  # a path, postgres://... or s3://BUCKET/KEY
    generate: Literal["skeleton", "ai"] = "skeleton"
    verify: Literal["none", "changed", "changed-checks", "all"] = "changed"
    cloud: CloudSection = CloudSection()
    # The parse cache (docs/performance.md); --no-cache turns it off for one run.
    cache: bool = True
    # Rule id -> error | warning | off, applied to every diagnostic of that rule.
    rules: dict[str, RuleSetting] = Field(default_factory=dict)
    engine: EngineMode = "auto"
    # Whether plan runs the contracts it would create or publish on today's data.
    check_data: CheckData = "none"
    # Soda data source configurations: paths of data source files, or inline mappings.
    data_sources: list[Path | dict[str, Any]] = Field(default_factory=list)
    environments: dict[str, EnvironmentSection] = Field(default_factory=dict)

    @field_validator("engine", "check_data", mode="before")
    @classmethod
    def _switch_as_written(cls, value: Any) -> Any:
        # YAML 1.1 reads a bare `off` (and `on`) as a boolean.
        if value is False:
            return "off"
        return "on" if value is True else value

    @field_validator("state", mode="before")
    @classmethod
    def _state_as_text(cls, state: Any) -> Any:
        return str(state) if isinstance(state, Path) else state

    @field_validator("environments")
    @classmethod
    def _environment_names(
        cls, environments: dict[str, EnvironmentSection]
    ) -> dict[str, EnvironmentSection]:
        for name in environments:
            if name == ALL or not NAME.fullmatch(name):
                raise PydanticCustomError(
                    "environment_name",
                    f"{name!r} cannot name an environment (letters, digits, '_', '-', '.'; "
                    "'all' means every environment)",
                )
        return environments

    @field_validator("rules", mode="before")
    @classmethod
    def _off_as_written(cls, rules: Any) -> Any:
        # YAML 1.1 reads a bare `off` as false: it means the rule is off.
        if isinstance(rules, dict):
            return {rule: "off" if value is False else value for rule, value in rules.items()}
        return rules

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, rules: dict[str, RuleSetting]) -> dict[str, RuleSetting]:
        if not rules:
            return rules
        from reconciler.contract.silence import rule_problem

        for rule in rules:
            problem = rule_problem(rule)
            if problem is not None:
                raise PydanticCustomError("unknown_rule", problem)
        return rules

    @property
    def contracts_dir(self) -> Path:
        return self._resolve(self.contracts)

    @property
    def state_path(self) -> Path:
        """The top-level ``state:`` as a path (a URL is not one: see ``state_location``)."""
        return self._resolve(Path(self.state))

    def environment(self, name: str) -> Environment:
        """The environment ``name`` (a :class:`ConfigError` naming the known ones else)."""
        section = self.environments.get(name)
        if section is None:
            from reconciler.settings import unknown_environment

            raise unknown_environment(name, self.environments, self.source)
        return section.environment(name)

    @property
    def cache_dir(self) -> Path | None:
        """The parse cache's folder; None when ``cache: false``."""
        return self._resolve(Path(DEFAULT_CACHE_DIR)) if self.cache else None

    @property
    def local_cloud_data(self) -> Path:
        return self._resolve(self.cloud.data or Path(".reconciler/local-cloud.json"))

    @property
    def local_cloud_seed(self) -> Path | None:
        return self._resolve(self.cloud.seed) if self.cloud.seed else None

    def data_source_entries(self) -> list[Path | dict[str, Any]]:
        """``data_sources`` with each file's path resolved (relative to this file)."""
        return [
            self._resolve(entry) if isinstance(entry, Path) else entry
            for entry in self.data_sources
        ]

    def _resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.base_dir / path


def load_project_config(
    path: Path | None = None, *, environ: Mapping[str, str] | None = None
) -> ProjectConfig:
    """Read ``reconciler.yml`` (``path``, else the one in the current directory, if any)."""
    env = os.environ if environ is None else environ
    if path is None:
        candidate = Path.cwd() / CONFIG_FILE_NAME
        if not candidate.is_file():
            return ProjectConfig(base_dir=Path.cwd())
        path = candidate
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"{path}: cannot read the configuration file ({error.strerror or error})",
            hint="Pass an existing file with --config, or remove the flag.",
        ) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(f"{where}: the configuration is not valid YAML") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping of settings")
    try:
        settings = {
            key: value if key in _VERBATIM else _resolve_env(value, env)
            for key, value in raw.items()
        }
        return ProjectConfig(base_dir=path.resolve().parent, source=path, **settings)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        known = ", ".join(sorted(ProjectConfig.model_fields.keys() - {"base_dir", "source"}))
        raise ConfigError(
            f"{path}: setting '{where}': {first['msg']}",
            hint=f"Known top-level settings: {known}; see the README's Configuration section.",
        ) from None


# The settings reading the folder depends on (reconciler.settings.FolderSettings).
FOLDER_SETTINGS = ("contracts", "cache", "rules", "engine", "environments")


def environment_references(data: bytes | None) -> tuple[bool, list[str]]:
    """For a configuration the models accepted: whether a setting reading the folder takes a
    value from the environment (``${env.NAME}``), and the names of every variable its
    settings refer to (not ``data_sources:``: the engine reads those)."""
    raw = yaml.safe_load(data) if data is not None else None
    if not isinstance(raw, dict):
        return False, []
    names = {key: _env_names(value) for key, value in raw.items() if key not in _VERBATIM}
    in_folder_settings = any(names.get(key) for key in FOLDER_SETTINGS)
    return in_folder_settings, sorted({name for found in names.values() for name in found})


def _env_names(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [name for k, v in value.items() for name in (*_env_names(k), *_env_names(v))]
    if isinstance(value, list):
        return [name for item in value for name in _env_names(item)]
    return _ENV_REF.findall(value) if isinstance(value, str) else []


def _resolve_env(value: Any, env: Mapping[str, str]) -> Any:
    """Substitute ``${env.NAME}``; a string naming an unset variable counts as not set."""
    if isinstance(value, dict):
        return {k: _resolve_env(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_env(v, env) for v in value]
    if isinstance(value, str):
        names = _ENV_REF.findall(value)
        if any(name not in env for name in names):
            return None
        return _ENV_REF.sub(lambda match: env[match.group(1)], value)
    return value
