"""API keys: HTTP Basic (core and Reporting API) or ``X-API-KEY-ID``/``X-API-KEY-SECRET``
headers (Reporting API only, as Soda documents)."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.emulator.seed import ApiKey


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: str
    creator_id: str

    @property
    def can_write(self) -> bool:
        return self.role == "admin"


def authenticate(
    headers: Mapping[str, str], keys: Mapping[str, ApiKey], *, reporting: bool
) -> Principal | None:
    """The key a request proves it holds, or None."""
    pair = _basic(headers.get("authorization", ""))
    if pair is None and reporting:
        key_id = headers.get("x-api-key-id") or headers.get("api_key_id")
        secret = headers.get("x-api-key-secret") or headers.get("api_key_secret")
        if key_id is not None and secret is not None:
            pair = (key_id, secret)
    if pair is None:
        return None
    key = keys.get(pair[0])
    if key is None or not hmac.compare_digest(key.secret.encode(), pair[1].encode()):
        return None
    return Principal(key_id=key.id, role=key.role, creator_id=key.creator)


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key_id, sep, secret = decoded.partition(":")
    return (key_id, secret) if sep else None
