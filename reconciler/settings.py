"""What ``validate`` reads from ``reconciler.yml``, remembered once the file was validated.

Reading the configuration through its models (:mod:`reconciler.config`) loads pydantic,
which costs more than everything else a ``validate`` answered by the parse cache does. So
once a file was read through them, the few settings reading the folder needs (``contracts``,
``cache``, ``rules``, ``engine``, and each environment's ``variables`` and
``rename_data_sources``) are kept, as the models made them, in an *answer* under the parse
cache's folder, and the next run with the same file finds them there without pydantic.

An answer is found by the sha256 of the file's bytes (or the absence of a file), the
reconciler's version and a digest of the code that reads a configuration. It also holds the
names of the environment variables the file's ``${env.NAME}`` refer to and a digest of their
values: a change of one of them, which may make the file invalid, is a miss. Only a file the
models accepted has an answer, so an invalid file is read through them, and refused with
their error, every time. On any doubt (no answer, another one, a damaged one) the file is
read through the models again.

Nothing secret is written: an answer holds settings the file states itself, never a value
taken from the environment (a file whose settings above use ``${env.NAME}`` gets no answer),
never ``cloud:``, ``state:`` or ``data_sources:``; the environment's values enter it only
through a hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from reconciler import __version__
from reconciler.environment import Environment
from reconciler.errors import ConfigError, WriteRefused

if TYPE_CHECKING:
    from reconciler.config import EngineMode, ProjectConfig, RuleSetting

ANSWER_FORMAT = 1
CONFIG_FILE_NAME = "reconciler.yml"
CACHE_DIR = ".reconciler/cache"
_PREFIX = "config-"
_SUFFIX = ".json"
# The code that decides what a configuration's settings are, and whether it is valid (the
# rule ids `rules:` may name among it).
_READING = (
    "config.py",
    "environment.py",
    "settings.py",
    "contract/silence.py",
    "contract/diagnostics.py",
)

log = logging.getLogger("reconciler.cache")


@dataclass(frozen=True)
class FolderSettings:
    """The settings of ``reconciler.yml`` that reading the contracts folder depends on, as
    the configuration's models made them."""

    base_dir: Path
    source: Path | None
    contracts: Path
    cache: bool
    rules: Mapping[str, RuleSetting]
    engine: EngineMode
    # environment name -> (its variables, its data source renames)
    renderings: Mapping[str, tuple[Mapping[str, str], Mapping[str, str]]] = field(
        default_factory=dict
    )

    @property
    def environments(self) -> Mapping[str, object]:
        return self.renderings

    @property
    def contracts_dir(self) -> Path:
        return self.contracts if self.contracts.is_absolute() else self.base_dir / self.contracts

    @property
    def cache_dir(self) -> Path | None:
        return self.base_dir / CACHE_DIR if self.cache else None

    def environment(self, name: str) -> Environment:
        """Environment ``name`` as the folder is rendered for it (its variables and renames;
        where it is and how to reach it are no part of reading the folder)."""
        rendering = self.renderings.get(name)
        if rendering is None:
            raise unknown_environment(name, self.renderings, self.source)
        variables, renames = rendering
        return Environment(name=name, variables=dict(variables), renames=dict(renames))


def unknown_environment(name: str, known: Mapping[str, object], source: Path | None) -> ConfigError:
    names = ", ".join(sorted(known)) or "none"
    return ConfigError(
        f"no environment {name!r} in {source or CONFIG_FILE_NAME} (environments: {names})",
        hint="Choose one with --env NAME (or RECONCILER_ENV), or add it under `environments:`.",
    )


def folder_settings(
    path: Path | None, *, environ: Mapping[str, str] | None = None
) -> FolderSettings:
    """The folder settings of ``path`` (else ``reconciler.yml`` in the current directory, if
    any): from the answer kept for these bytes, else read through the configuration's
    models (whose errors it raises), kept for the next run where nothing secret is in it."""
    env = os.environ if environ is None else environ
    source = path if path is not None else _found_in_cwd()
    data = _bytes_of(source)
    if source is not None and data is None:
        return _read_through_models(path, env)  # they say why it cannot be read
    key = _key(data)
    base = source.resolve().parent if source is not None else Path.cwd()
    answer = base / CACHE_DIR / f"{_PREFIX}{key}{_SUFFIX}"
    known = _read_answer(answer, key, base, source, env)
    if known is not None:
        return known
    settings = _read_through_models(path, env)
    # Kept only for the bytes the models read: not for a file edited in the meantime.
    if settings.cache and _bytes_of(source) == data:
        _write_answer(answer, key, settings, data, env)
    return settings


def _read_through_models(path: Path | None, env: Mapping[str, str]) -> FolderSettings:
    from reconciler.config import load_project_config

    return settings_of(load_project_config(path, environ=env))


def settings_of(project: ProjectConfig) -> FolderSettings:
    return FolderSettings(
        base_dir=project.base_dir,
        source=project.source,
        contracts=project.contracts,
        cache=project.cache,
        rules=dict(project.rules),
        engine=project.engine,
        renderings={
            name: (dict(section.variables), dict(section.rename_data_sources))
            for name, section in project.environments.items()
        },
    )


def _found_in_cwd() -> Path | None:
    candidate = Path.cwd() / CONFIG_FILE_NAME
    return candidate if candidate.is_file() else None


def _bytes_of(source: Path | None) -> bytes | None:
    if source is None:
        return None
    try:
        return source.read_bytes()
    except OSError:
        return None  # the models say what is wrong with it


def _key(data: bytes | None) -> str:
    context = {
        "format": ANSWER_FORMAT,
        "reconciler": __version__,
        "code": _code_digest(),
        "file": None if data is None else hashlib.sha256(data).hexdigest(),
    }
    return hashlib.sha256(json.dumps(context, sort_keys=True).encode("utf-8")).hexdigest()


def _environ_digest(key: str, names: list[str], env: Mapping[str, str]) -> str:
    digest = hashlib.sha256(key.encode("ascii"))
    for name in names:
        value = env.get(name)
        digest.update(f"{name}\0{'-' if value is None else '=' + value}\0".encode())
    return digest.hexdigest()


# ---- the answer on disk --------------------------------------------------------------------


def _read_answer(
    answer: Path, key: str, base: Path, source: Path | None, env: Mapping[str, str]
) -> FolderSettings | None:
    try:
        raw = answer.read_bytes()
    except OSError:
        return None
    header, _, body = raw.partition(b"\n")
    try:
        if json.loads(header) != _header(key, body):
            raise ValueError("another format or file, or a damaged body")
        value = json.loads(body)
        names = [_text(name) for name in value["environ"]]
        if value["environ_digest"] != _environ_digest(key, names, env):
            return None  # an environment variable the file refers to changed
        return FolderSettings(
            base_dir=base,
            source=source,
            contracts=Path(_text(value["contracts"])),
            cache=_flag(value["cache"]),
            rules=cast("dict[str, RuleSetting]", _texts(value["rules"])),
            engine=cast("EngineMode", _text(value["engine"])),
            renderings={
                _text(name): (_texts(variables), _texts(renames))
                for name, (variables, renames) in value["renderings"].items()
            },
        )
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        log.debug("the configuration's answer %s is set aside: %s", answer, error)
        return None


def _header(key: str, body: bytes) -> dict[str, Any]:
    return {"format": ANSWER_FORMAT, "key": key, "sha256": hashlib.sha256(body).hexdigest()}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(f"{value!r} is not text")


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError(f"{value!r} is not a flag")


def _texts(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise TypeError(f"{value!r} is not a mapping")
    return {_text(k): _text(v) for k, v in value.items()}


def _write_answer(
    answer: Path, key: str, settings: FolderSettings, data: bytes | None, env: Mapping[str, str]
) -> None:
    from reconciler.config import environment_references

    kept, names = environment_references(data)
    if kept:
        return  # a setting kept would be a value of the environment: never written
    content = {
        "environ": names,
        "environ_digest": _environ_digest(key, names, env),
        "contracts": settings.contracts.as_posix(),
        "cache": settings.cache,
        "rules": dict(settings.rules),
        "engine": settings.engine,
        "renderings": {
            name: [dict(variables), dict(renames)]
            for name, (variables, renames) in settings.renderings.items()
        },
    }
    from reconciler.files import write_file

    try:
        answer.parent.mkdir(parents=True, exist_ok=True)
        # In the file's order: environments are listed as written.
        body = json.dumps(content, ensure_ascii=False).encode("utf-8")
        header = json.dumps(_header(key, body), sort_keys=True).encode("ascii")
        write_file(answer.parent, answer.name, header + b"\n" + body, sync_folder=False)
    except (OSError, WriteRefused) as error:
        log.debug("the configuration's answer %s is not written: %s", answer, error)
        return
    _prune(answer)


def _prune(answer: Path) -> None:
    # One answer per file content is enough: an edit makes the older ones unreachable.
    with contextlib.suppress(OSError):
        for entry in os.scandir(answer.parent):
            if entry.name.startswith(_PREFIX) and entry.name != answer.name:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


@cache
def _code_digest() -> str:
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for name in _READING:
        with contextlib.suppress(OSError):
            digest.update(f"{name}\0".encode())
            digest.update((package / name).read_bytes())
    return digest.hexdigest()
