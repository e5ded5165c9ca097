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
```

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

from reconciler.errors import ConfigError

CONFIG_FILE_NAME = "reconciler.yml"
DEFAULT_CONTRACTS_DIR = "contracts"
DEFAULT_STATE_PATH = ".reconciler/state.json"
DEFAULT_CACHE_DIR = ".reconciler/cache"

# A rule's severity (reconciler.contract.silence.RuleSetting; not imported: reading the
# configuration must not load the contract language).
RuleSetting = Literal["error", "warning", "off"]

_ENV_REF = re.compile(r"\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}")


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


class ProjectConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    source: Path | None = Field(default=None, exclude=True)
    contracts: Path = Path(DEFAULT_CONTRACTS_DIR)
    state: Path = Path(DEFAULT_STATE_PATH)
    generate: Literal["skeleton", "ai"] = "skeleton"
    verify: Literal["none", "changed", "changed-checks", "all"] = "changed"
    cloud: CloudSection = CloudSection()
    # The parse cache (docs/performance.md); --no-cache turns it off for one run.
    cache: bool = True
    # Rule id -> error | warning | off, applied to every diagnostic of that rule.
    rules: dict[str, RuleSetting] = Field(default_factory=dict)

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
        return self._resolve(self.state)

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
        return ProjectConfig(base_dir=path.resolve().parent, source=path, **_resolve_env(raw, env))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        known = ", ".join(sorted(ProjectConfig.model_fields.keys() - {"base_dir", "source"}))
        raise ConfigError(
            f"{path}: setting '{where}': {first['msg']}",
            hint=f"Known top-level settings: {known}; see the README's Configuration section.",
        ) from None


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
