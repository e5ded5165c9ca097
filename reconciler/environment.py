"""An environment: one named target of the same contracts folder (``environments:`` in
``reconciler.yml``, chosen with ``--env NAME`` or ``RECONCILER_ENV``).

It says where that target is (its Soda Cloud host, the names of the environment variables
holding its API key, its state location) and how the folder's contracts are rendered for it:
values for their ``${var.NAME}`` variables, and data sources renamed (``warehouse`` ->
``warehouse_staging``) so that one folder serves every environment. Pure values: reading
the environment variables, rendering and connecting are done by their users.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

ALL = "all"
"""``--env all``: every environment (``plan`` only)."""

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


@dataclass(frozen=True)
class Environment:
    name: str
    host: str | None = None
    reporting_host: str | None = None
    api_key_id_env: str | None = None  # the name of the variable holding the key's id
    api_key_secret_env: str | None = None  # ... and its secret
    state: str | None = None  # a path or URL; None: derived from the project's `state:`
    variables: Mapping[str, str] = field(default_factory=dict)
    renames: Mapping[str, str] = field(default_factory=dict)  # data source -> its name here

    @property
    def renames_anything(self) -> bool:
        return any(source != target for source, target in self.renames.items())

    def rendered_name(self, dataset: str) -> str:
        """The dataset as this environment names it: its data source renamed."""
        source, slash, rest = dataset.partition("/")
        target = self.renames.get(source)
        return f"{target}{slash}{rest}" if target is not None else dataset

    def shared_name(self, dataset: str) -> str | None:
        """The name in the shared folder of a dataset this environment names ``dataset``;
        ``None`` when no file of the folder can render to it (its data source is one this
        environment renames away)."""
        source, slash, rest = dataset.partition("/")
        for original, target in self.renames.items():
            if target == source:
                return f"{original}{slash}{rest}"
        if source in self.renames:
            return None
        return dataset


def derived_state(location: str, environment: str) -> str:
    """The state of ``environment`` when it names none, from the project's ``state:``: a
    file or S3 object gets the environment's name before its suffix
    (``.reconciler/state.json`` -> ``.reconciler/state.staging.json``); a PostgreSQL
    database keeps one row per environment, so its URL stays as it is."""
    scheme = location.partition("://")[0].lower() if "://" in location else ""
    if scheme in ("postgres", "postgresql"):
        return location
    base, question, query = location.partition("?")
    folder, slash, name = base.rpartition("/")
    stem, dot, suffix = name.rpartition(".")
    renamed = f"{stem}.{environment}.{suffix}" if dot and stem else f"{name}.{environment}"
    return f"{folder}{slash}{renamed}{question}{query}"
