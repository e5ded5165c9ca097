"""Soda's engine (soda-core), as the reconciler and the local Soda Cloud use it: the one place
that talks to it. docs/engine.md describes what it offers.

    from reconciler.engine import dry_run, verify, discover, load_data_source, engine_status

    engine_status()                      # EngineStatus(installed, version, data_source_types)
    dry_run(contract_text)               # Verdict: the engine's errors and warnings, placed
    source = load_data_source(Path("ds.yml"))
    verify(contract_text, source)        # RunResult: per-check outcomes, logs, or not checked
    discover(source)                     # Discovery: datasets with columns and data types

Importing this package is cheap: each name is loaded from its module when first used, and
soda-core on the first dry run, verification or discovery, never by commands that do not
need it. Everything returned is plain data of ours; no secret of a data source configuration
appears in anything returned, logged or raised.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.engine.datasource import (
        REDACTED,
        DataSourceConfig,
        data_source_from_mapping,
        load_data_source,
        parse_data_source,
    )
    from reconciler.engine.model import (
        CheckResult,
        Column,
        Dataset,
        Diagnostic,
        Discovery,
        EngineStatus,
        LogLine,
        NotChecked,
        Outcome,
        RunResult,
        Threshold,
        Verdict,
    )
    from reconciler.engine.soda import DEFAULT_BUDGET, discover, dry_run, verify
    from reconciler.engine.status import engine_status, install_hint

# Each name from its module when first asked for: whether the engine is installed is asked
# by every validate, which needs none of the rest.
_LAZY = {
    **dict.fromkeys(
        (
            "REDACTED",
            "DataSourceConfig",
            "data_source_from_mapping",
            "load_data_source",
            "parse_data_source",
        ),
        "reconciler.engine.datasource",
    ),
    **dict.fromkeys(
        (
            "CheckResult",
            "Column",
            "Dataset",
            "Diagnostic",
            "Discovery",
            "EngineStatus",
            "LogLine",
            "NotChecked",
            "Outcome",
            "RunResult",
            "Threshold",
            "Verdict",
        ),
        "reconciler.engine.model",
    ),
    **dict.fromkeys(("DEFAULT_BUDGET", "discover", "dry_run", "verify"), "reconciler.engine.soda"),
    **dict.fromkeys(("engine_status", "install_hint"), "reconciler.engine.status"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_BUDGET",
    "REDACTED",
    "CheckResult",
    "Column",
    "DataSourceConfig",
    "Dataset",
    "Diagnostic",
    "Discovery",
    "EngineStatus",
    "LogLine",
    "NotChecked",
    "Outcome",
    "RunResult",
    "Threshold",
    "Verdict",
    "data_source_from_mapping",
    "discover",
    "dry_run",
    "engine_status",
    "install_hint",
    "load_data_source",
    "parse_data_source",
    "verify",
]
