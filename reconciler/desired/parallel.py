"""Analysing many contract files at once: in several processes for a large folder.

The work per file (parse, validate, fingerprint) is CPU-bound, so a folder of
:data:`PARALLEL_THRESHOLD` files or more is split among worker processes; results come back
packed with ``marshal`` (many times faster than pickling), the model rebuilt on demand.
"""

from __future__ import annotations

import gc
import marshal
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from reconciler.contract.diagnostics import Diagnostic
from reconciler.contract.parsed import ParsedContract
from reconciler.desired.walk import Found, read_file

if TYPE_CHECKING:
    import multiprocessing.context

# Below this many files one process is faster than starting others.
PARALLEL_THRESHOLD = 400


@contextmanager
def collector_paused(*, freeze_after: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector while loading.

    Loading allocates millions of small acyclic objects that stay alive; each automatic
    collection would rescan all of them (seconds for 10,000 files) and find nothing. With
    ``freeze_after`` the loaded data is moved out of the collector's sight for good
    (``gc.freeze``), so later collections in the same run do not rescan it either; it is
    still freed as usual when no longer referenced.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze_after:
            gc.freeze()
        if was_enabled:
            gc.enable()


def _analyse(item: Found, supplied: Mapping[str, str], use_engine: bool) -> ParsedContract:
    from reconciler.contract.parse import parse_contract_bytes  # the language: loaded to parse
    from reconciler.contract.referee import refereed

    data = read_file(item)
    if isinstance(data, Diagnostic):
        return ParsedContract(
            item.display, None, "", None, None, None, (1, 1), (data,), False, None
        )
    parsed = parse_contract_bytes(data, item.display, variables=supplied, allow_stub=True)
    return refereed(parsed, supplied, use_engine=use_engine)


def _analyse_chunk(
    items: list[Found], supplied: dict[str, str], use_engine: bool
) -> list[ParsedContract]:
    with collector_paused():  # in a worker process too
        return [_analyse(item, supplied, use_engine) for item in items]


_Packed = tuple[Any, ...]


def _pack(parsed: ParsedContract) -> _Packed:
    # Results cross a process boundary: marshal moves plain data many times faster than
    # pickling it, and the model is rebuilt on demand (DesiredContract.model).
    return (
        parsed.source,
        parsed.raw_text,
        parsed.raw_sha256,
        marshal.dumps(parsed.document),
        parsed.semantic_fingerprint,
        parsed.dataset,
        parsed.dataset_position,
        parsed.diagnostics,
        parsed.is_stub,
    )


def _unpack(packed: _Packed) -> ParsedContract:
    source, text, sha, document, fingerprint, dataset, position, diagnostics, stub = packed
    return ParsedContract(
        source,
        text,
        sha,
        marshal.loads(document),
        fingerprint,
        dataset,
        position,
        diagnostics,
        stub,
        None,
    )


def _analyse_packed(
    items: list[Found], supplied: dict[str, str], use_engine: bool
) -> list[_Packed]:
    # Packing each result at once frees its objects at once: the worker's heap stays small.
    with collector_paused():
        return [_pack(_analyse(item, supplied, use_engine)) for item in items]


def _start_method() -> multiprocessing.context.BaseContext:
    import multiprocessing  # only a large folder starts workers

    # fork starts workers in milliseconds, but is unsafe once other threads exist.
    methods = multiprocessing.get_all_start_methods()
    if threading.active_count() == 1 and "fork" in methods:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def analyse_all(
    found: list[Found], supplied: dict[str, str], workers: int | None, *, use_engine: bool = False
) -> list[ParsedContract]:
    """Every file read, parsed and (``use_engine``) refereed by the engine's dry run, in the
    order found."""
    count_workers = workers if workers is not None else (os.cpu_count() or 1)
    if count_workers <= 1 or len(found) < PARALLEL_THRESHOLD:
        return _analyse_chunk(found, supplied, use_engine)
    if use_engine:
        # Imported once here, so that forked workers inherit it instead of each paying it.
        preload_engine()
    from concurrent.futures import ProcessPoolExecutor

    size = -(-len(found) // (count_workers * 8))
    chunks = [found[i : i + size] for i in range(0, len(found), size)]
    with ProcessPoolExecutor(max_workers=count_workers, mp_context=_start_method()) as pool:
        results = pool.map(
            _analyse_packed, chunks, [supplied] * len(chunks), [use_engine] * len(chunks)
        )
        return [_unpack(packed) for chunk in results for packed in chunk]


def preload_engine() -> None:
    from reconciler.engine.soda import load_engine

    load_engine()
