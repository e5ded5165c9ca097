"""Reading the folder: walk it, analyse every file, apply the folder's rules."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from reconciler.contract.diagnostics import Diagnostic, sort_diagnostics
from reconciler.contract.parsed import ParsedContract
from reconciler.contract.silence import RuleSetting, silence
from reconciler.desired.cache import ParseCache, analysed, parse_cache
from reconciler.desired.model import NOT_READ, DesiredContract, DesiredState
from reconciler.desired.parallel import analyse_all, collector_paused
from reconciler.desired.rules import folder_rules
from reconciler.desired.walk import shown_root, walk


def load_desired(
    root: Path,
    *,
    variables: Mapping[str, str] | None = None,
    strict: bool = False,
    workers: int | None = None,
    engine: bool = False,
    rules: Mapping[str, RuleSetting] | None = None,
    cache: Path | None = None,
) -> DesiredState:
    """Read and validate every contract below ``root``.

    ``variables`` are values for ``${var.X}`` (as ``--var`` gives them); ``strict`` turns
    path mismatches into errors; ``workers`` (default: the CPU count for large folders)
    bounds the processes used. With ``engine`` (see
    :func:`~reconciler.contract.referee.engine_wanted`) Soda's engine referees each file;
    ``rules`` (``rules:`` of reconciler.yml) and each file's ``# reconciler: ignore``
    comments then set what the folder's diagnostics weigh. With ``cache`` (a folder,
    ``.reconciler/cache`` by default on the command line) a file whose bytes were read
    before in the same context (the engine's version among it) is not parsed or refereed
    again: see :mod:`reconciler.desired.cache`. What was loaded is frozen out of the cyclic
    garbage collector's sight (``gc.freeze``): see
    :func:`~reconciler.desired.parallel.collector_paused`.
    """
    supplied = dict(variables or {})
    diagnostics: list[Diagnostic] = []
    display_root = shown_root(root)
    if not root.is_dir():
        what = "is not a directory" if root.exists() else "does not exist"
        diagnostics.append(
            Diagnostic(
                display_root,
                1,
                1,
                "error",
                "unreadable",
                f"the contracts folder {display_root} {what}",
                "Pass the folder as DIR or set `contracts:` in reconciler.yml.",
            )
        )
        return DesiredState(root, {}, diagnostics, 0)
    settings = dict(rules or {})
    known = (
        None
        if cache is None
        else parse_cache(
            cache, variables=supplied, rules=settings, engine=_engine_key() if engine else None
        )
    )
    with collector_paused(freeze_after=True):
        return _load(root, display_root, supplied, strict, workers, engine, settings, known)


def _load(
    root: Path,
    display_root: str,
    supplied: dict[str, str],
    strict: bool,
    workers: int | None,
    engine: bool,
    rules: dict[str, RuleSetting],
    cache: ParseCache | None,
) -> DesiredState:
    diagnostics: list[Diagnostic] = []
    found, walk_problems = walk(root, display_root)
    diagnostics.extend(walk_problems)
    files_read = len(found) + sum(1 for d in walk_problems if d.rule != "symlink-escape")
    if cache is None:
        parsed = analyse_all(found, supplied, workers, use_engine=engine)
    else:
        parsed = analysed(
            found,
            cache,
            lambda missing: analyse_all(missing, supplied, workers, use_engine=engine),
        )
    by_display: dict[str, ParsedContract] = {}
    for item, result in zip(found, parsed, strict=True):
        by_display[item.display] = result
        diagnostics.extend(result.diagnostics)
    diagnostics.extend(folder_rules(found, parsed, display_root, strict))
    texts = {display: result.raw_text for display, result in by_display.items()}
    diagnostics = sort_diagnostics(silence(diagnostics, rules, texts))
    failing = {d.file for d in diagnostics if d.is_error}
    contracts: dict[str, DesiredContract] = {}
    for item, result in zip(found, parsed, strict=True):
        if item.display in failing or result.dataset is None or result.raw_text is None:
            continue
        contracts[result.dataset] = DesiredContract(
            dataset=result.dataset,
            path=item.path,
            display_path=item.display,
            raw_text=result.raw_text,
            raw_sha256=result.raw_sha256,
            semantic_fingerprint=result.semantic_fingerprint or "",
            document=NOT_READ if result.document is None else result.document,
            is_stub=result.is_stub,
            variables=supplied,
        )
    return DesiredState(root, contracts, diagnostics, files_read, by_display)


def _engine_key() -> str:
    # What names the engine's verdicts in the cache: a new soda-core may judge differently.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"soda-core {version('soda-core')}"
    except PackageNotFoundError:
        return "soda-core"
