"""Soda data source configurations: the YAML soda-core reads (``type``, ``name``,
``connection``), from a file or an inline mapping, and the secrets in them.

    type: postgres
    name: warehouse
    connection:
      host: db.example.com
      user: soda
      password: ${env.WAREHOUSE_PASSWORD}
      database: analytics

The text is handed to soda-core unchanged (it resolves ``${env.NAME}`` itself, after
parsing). What this module adds is knowing which values are secret: the values of every
``${env.NAME}`` the configuration references and every value under a password-like key.
:meth:`DataSourceConfig.redact` removes them from any text the engine produced, so they
never reach a log line, a message or an exception of ours.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import DataSourceConfigError

REDACTED = "***"

# soda-core's variable syntax, ``${ns.NAME}`` (yaml.VariableResolver.VARIABLE_PATTERN).
_REFERENCE = re.compile(r"\$\{ *([a-z]+)\.([a-zA-Z_][a-zA-Z_0-9]*) *\}")
_SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?|pwd|secret|token|credential|private|(^|_)key$|^auth",
    re.IGNORECASE,
)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class DataSourceConfig:
    """One data source configuration. ``text`` is the YAML soda-core reads; ``origin`` says
    where it came from (a file path, or a place in a seed) for messages."""

    type: str
    name: str
    text: str = field(repr=False)
    origin: str = "<inline>"
    env_names: tuple[str, ...] = ()
    literal_secrets: tuple[str, ...] = field(default=(), repr=False)

    def describe(self) -> str:
        return f"{self.type} data source '{self.name}' ({self.origin})"

    def secrets(self, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """Every secret value, longest first (so a secret that contains another is
        redacted whole)."""
        env = os.environ if environ is None else environ
        values = {env[name] for name in self.env_names if env.get(name)}
        values.update(value for value in self.literal_secrets if value)
        return tuple(sorted(values, key=lambda value: (-len(value), value)))

    def redact(self, text: str, environ: Mapping[str, str] | None = None) -> str:
        for secret in self.secrets(environ):
            text = text.replace(secret, REDACTED)
        return text


def load_data_source(path: Path) -> DataSourceConfig:
    """Read a data source file; a mistake raises :class:`DataSourceConfigError` with
    ``file:line:col``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DataSourceConfigError(
            f"{path}: cannot read the data source file ({error.strerror or error})",
            hint="Check the path; it is relative to the file that names it.",
        ) from None
    return parse_data_source(text, origin=str(path))


def parse_data_source(text: str, *, origin: str = "<inline>") -> DataSourceConfig:
    """A data source configuration from YAML text, checked for what soda-core needs."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
        raw: Any = yaml.load(text, Loader=_LOADER)  # a safe loader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{origin}:{mark.line + 1}:{mark.column + 1}" if mark else origin
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise DataSourceConfigError(
            f"{where}: the data source configuration is not valid YAML: {problem}"
        ) from None
    return _checked(raw, text, origin, node)


def data_source_from_mapping(mapping: Mapping[str, Any], *, origin: str) -> DataSourceConfig:
    """A data source configuration given inline (a seed's ``data_sources`` item)."""
    text = yaml.safe_dump(dict(mapping), sort_keys=False, allow_unicode=True)
    return _checked(dict(mapping), text, origin, None)


def _checked(raw: Any, text: str, origin: str, node: yaml.Node | None) -> DataSourceConfig:
    if not isinstance(raw, dict):
        raise DataSourceConfigError(
            f"{_at(origin, node, ())}: a data source configuration is a mapping with `type`, "
            "`name` and `connection`",
            hint="See docs/engine.md for an example.",
        )
    for key in ("type", "name"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise DataSourceConfigError(
                f"{_at(origin, node, (key,))}: `{key}` must be a non-empty string",
                hint="A data source has a `type` (duckdb, postgres, ...) and a `name`.",
            )
    name: str = raw["name"]
    if "/" in name:
        raise DataSourceConfigError(
            f"{_at(origin, node, ('name',))}: the data source name '{name}' contains '/'; it is "
            "the first part of every dataset's qualified name",
            hint="Pick a name without '/'.",
        )
    if not isinstance(raw.get("connection"), dict):
        raise DataSourceConfigError(
            f"{_at(origin, node, ('connection',))}: `connection` must be a mapping (host, "
            "database, user, ...)",
            hint="See docs/engine.md for an example.",
        )
    return DataSourceConfig(
        type=raw["type"],
        name=name,
        text=text,
        origin=origin,
        env_names=tuple(sorted(set(_env_names(raw)))),
        literal_secrets=tuple(sorted(set(_literal_secrets(raw, secret=False)))),
    )


def _env_names(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        for match in _REFERENCE.finditer(value):
            if match.group(1) == "env":
                yield match.group(2)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _env_names(item)
    elif isinstance(value, list):
        for item in value:
            yield from _env_names(item)


def _literal_secrets(value: Any, *, secret: bool) -> Iterator[str]:
    """Values under a password-like key, at any depth (``${env...}`` references aside:
    their values are secrets already)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _literal_secrets(item, secret=secret or bool(_SECRET_KEY.search(str(key))))
    elif isinstance(value, list):
        for item in value:
            yield from _literal_secrets(item, secret=secret)
    elif secret and value is not None and not isinstance(value, bool):
        text = str(value)
        if text and not _REFERENCE.fullmatch(text.strip()):
            yield text


def _at(origin: str, node: yaml.Node | None, path: tuple[str, ...]) -> str:
    """``origin:line:col`` of the value at ``path`` (or of the deepest part found)."""
    if node is None:
        return origin
    mark = node.start_mark
    current: yaml.Node | None = node
    for key in path:
        if not isinstance(current, yaml.MappingNode):
            break
        pair = next((p for p in current.value if getattr(p[0], "value", None) == key), None)
        if pair is None:
            break
        current = pair[1]
        mark = current.start_mark
    return f"{origin}:{mark.line + 1}:{mark.column + 1}"
