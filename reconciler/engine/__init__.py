"""Soda's engine (soda-core), as the reconciler and the local Soda Cloud use it: the one place
that talks to it. docs/engine.md describes what it offers.

    from reconciler.engine import dry_run, verify, discover, load_data_source, engine_status

    engine_status()                      # EngineStatus(installed, version, data_source_types)
    dry_run(contract_text)               # Verdict: the engine's errors and warnings, placed
    source = load_data_source(Path("ds.yml"))
    verify(contract_text, source)        # RunResult: per-check outcomes, logs, or not checked
    discover(source)                     # Discovery: datasets with columns and data types

Importing this package is cheap: soda-core is imported on the first dry run, verification or
discovery, never by commands that do not need it. Everything returned is plain data of ours;
no secret of a data source configuration appears in anything returned, logged or raised.
"""

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
