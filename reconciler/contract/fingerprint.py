"""Two fingerprints per contract: what the bytes are, and what they mean.

``raw_sha256`` changes with any edit (a comment, a space); ``semantic_fingerprint`` only
with the parsed document, so a plan can tell a formatting-only edit from a real one.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def raw_sha256(text: str | bytes) -> str:
    """sha256 of the exact bytes (text is encoded as UTF-8)."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", errors="surrogatepass")
    return hashlib.sha256(data).hexdigest()


def canonical_json(document: Any) -> str:
    """Sorted keys, no whitespace, non-ASCII kept: one spelling per document."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def semantic_fingerprint(document: Any) -> str:
    """sha256 of the canonical JSON of the parsed document."""
    return hashlib.sha256(
        canonical_json(document).encode("utf-8", errors="surrogatepass")
    ).hexdigest()
