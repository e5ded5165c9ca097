"""The saved plan's file: the plan as JSON, carrying a digest of its own content.

The digest is ``sha256:`` and the SHA-256 of the document's canonical JSON (sorted keys, no
whitespace, UTF-8) without the ``digest`` field. It is of the content, not of the bytes, so
re-indenting the file keeps it; changing any value does not. It tells a hand edit from a
plan the reconciler wrote; it is no signature (anyone can compute one), which is why apply
also checks every entry against what the planner makes of the plan's basis
(:mod:`reconciler.apply.saved`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from reconciler.contract.fingerprint import canonical_json
from reconciler.plan.model import Plan

DIGEST_FIELD = "digest"
DIGEST_PREFIX = "sha256:"


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
    return json.dumps(plan_document(plan), indent=2, ensure_ascii=False) + "\n"
