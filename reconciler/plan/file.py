"""The saved plan's file, read and written here: the plan as JSON, carrying a digest of
its own content (``docs/plan-format.md``).

The digest is ``sha256:`` and the SHA-256 of the document's canonical JSON (sorted keys, no
whitespace, UTF-8) without the ``digest`` field. It is of the content, not of the bytes, so
re-indenting the file keeps it; changing any value does not. It tells a hand edit from a
plan the reconciler wrote; it is no signature (anyone can compute one), which is why apply
also checks every entry against what the planner makes of the plan's basis
(:mod:`reconciler.apply.saved`).

The text is written with every character a terminal would not show as itself spelt as a
``\\u`` escape (:func:`reconciler.render.escape.json_text`): the same data, harmless to ``cat``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.contract.fingerprint import canonical_json
from reconciler.errors import PlanError
from reconciler.files import write_text
from reconciler.plan.model import PLAN_FORMAT_VERSION, Plan
from reconciler.render.escape import json_text

DIGEST_FIELD = "digest"
DIGEST_PREFIX = "sha256:"
EDITED = "the plan file was edited by hand: its digest does not match its content"
REPLAN_HINT = "Make a fresh plan (`reconciler plan --out FILE`), review it, and apply that file as it was written."


def plan_digest(document: Mapping[str, Any]) -> str:
    """The digest of a plan document (its ``digest`` field, if any, left out)."""
    content = {key: value for key, value in document.items() if key != DIGEST_FIELD}
    data = canonical_json(content).encode("utf-8", errors="surrogatepass")
    return DIGEST_PREFIX + hashlib.sha256(data).hexdigest()


def plan_document(plan: Plan) -> dict[str, Any]:
    """The plan as the saved file holds it: ``format_version``, ``digest``, then the rest."""
    content: dict[str, Any] = plan.model_dump(mode="json")
    digest = plan_digest(content)
    return {"format_version": content.pop("format_version"), DIGEST_FIELD: digest, **content}


def plan_file_text(plan: Plan) -> str:
    """The saved plan's text (``plan --out`` and ``plan --format json``)."""
    return json_text(json.dumps(plan_document(plan), indent=2, ensure_ascii=False) + "\n")


def write_plan_file(path: Path, plan: Plan) -> None:
    """Save ``plan`` at ``path`` (atomically, never through a link)."""
    write_text(path, plan_file_text(plan))


ENV_FIELD = "{env}"
"""In ``plan --out`` for several environments: where each file names its environment."""


def write_plan_files(path: Path, plans: Sequence[Plan]) -> list[Path]:
    """Save each plan, at ``path`` with its environment in place of ``{env}``; the paths."""
    written = []
    for plan in plans:
        target = path.with_name(path.name.replace(ENV_FIELD, plan.environment or "default"))
        write_plan_file(target, plan)
        written.append(target)
    return written


@dataclasses.dataclass(frozen=True)
class SavedPlan:
    """A saved plan as read: the plan, and whether its digest matched its content."""

    path: Path
    plan: Plan
    edited: bool


def load_saved_plan(path: Path) -> SavedPlan:
    """Read a saved plan back; refuses another format version or a file that is no plan."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise PlanError(
            f"{path}: cannot read the saved plan ({error.strerror or error})",
            hint="Make one with `reconciler plan --out FILE`.",
        ) from None
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise PlanError(f"{path}: not a saved plan (not JSON: {error})") from None
    if not isinstance(document, dict):
        raise PlanError(f"{path}: not a saved plan (not a JSON object)")
    version = document.get("format_version")
    if version != PLAN_FORMAT_VERSION:
        older = isinstance(version, int) and version < PLAN_FORMAT_VERSION
        raise PlanError(
            f"{path}: a saved plan of format_version {version!r}"
            + (", made by an older reconciler" if older else "")
            + f"; this reconciler reads format_version {PLAN_FORMAT_VERSION}",
            hint="Make the plan again with this reconciler (`reconciler plan --out FILE`), "
            "review it, and apply that.",
        )
    edited = document.get(DIGEST_FIELD) != plan_digest(document)
    content = {key: value for key, value in document.items() if key != DIGEST_FIELD}
    try:
        plan = Plan.model_validate(content)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PlanError(
            f"{path}: not a valid saved plan ({where}: {first['msg']})"
            + (f"; {EDITED}" if edited else ""),
            hint=REPLAN_HINT,
        ) from None
    return SavedPlan(path, plan, edited)
