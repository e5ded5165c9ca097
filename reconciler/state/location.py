"""Where a state lives, as people write it: a path, ``postgres://...`` or ``s3://bucket/key``.

Parsing is pure and needs neither database nor cloud libraries: a URL that cannot work is
refused here, before anything connects. A location is shown only through ``shown``, which
never holds a password (:func:`redact`); the text as given, which may, is kept out of
``repr``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from reconciler.duration import parse_duration
from reconciler.errors import ConfigError

DEFAULT_SCHEMA = "public"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+")  # two letters at least: "C:\..." is a path
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# Query parameters whose values are secrets (libpq's password and sslpassword, and any
# token or secret a URL might carry): their values are never shown.
_SECRET_VALUE = re.compile(
    r"([?&]?[^?&=/#]*(?:pass|secret|token|credential)[^?&=/#]*=)[^&#]*", re.IGNORECASE
)
_S3_PARAMETERS = ("endpoint", "region", "lease")
_HINT = (
    "Give `state:` (or --state) a file path, postgres://HOST:PORT/DATABASE or "
    "s3://BUCKET/KEY; see docs/state-backends.md."
)


@dataclass(frozen=True)
class LocalPath:
    """A state file on this machine."""

    path: Path

    @property
    def shown(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class PostgresUrl:
    """A PostgreSQL database holding states, in ``schema``.

    ``conninfo`` is the URL as libpq reads it (our own parameters removed); it may hold a
    password, so it is never shown: ``shown`` is the URL without it.
    """

    conninfo: str = field(repr=False)
    schema: str
    shown: str
    # Which project's states (``?project=``): for a database that serves several
    # repositories; ``None``: the project's contracts folder names it.
    project: str | None = None


@dataclass(frozen=True)
class S3Url:
    """An object in an S3 bucket; ``endpoint`` overrides AWS's for S3-compatible servers."""

    bucket: str
    key: str
    endpoint: str | None = None
    region: str | None = None
    lease: float | None = None  # seconds (``?lease=``); None: the backend's default

    @property
    def shown(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


StateLocation = LocalPath | PostgresUrl | S3Url
RemoteLocation = PostgresUrl | S3Url


def parse_location(text: str, *, base: Path | None = None) -> StateLocation:
    """The location ``text`` names; a relative path is taken from ``base`` when given.

    Raises :class:`ConfigError` for a URL that cannot work (an unknown scheme, an S3 URL
    without a key, credentials in an S3 URL, ...), showing it without its password.
    """
    text = text.strip()
    if not text:
        raise ConfigError("the state location is empty", hint=_HINT)
    scheme, separator, _ = text.partition("://")
    if not separator or not _SCHEME.fullmatch(scheme):
        path = Path(text).expanduser()
        return LocalPath(base / path if base is not None and not path.is_absolute() else path)
    scheme = scheme.lower()
    if scheme == "file":
        return LocalPath(Path(unquote(urlsplit(text).path)))
    if scheme in ("postgres", "postgresql"):
        return _postgres(text)
    if scheme == "s3":
        return _s3(text)
    raise ConfigError(
        f"the state location {redact(text)} has an unknown scheme {scheme}://", hint=_HINT
    )


def redact(url: str) -> str:
    """``url`` without secrets: the password after ``user:`` and the values of secret query
    parameters (``password=``, ``sslpassword=``, tokens) become ``***``. A string that is no
    URL is returned as it is."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    # Where the user info ends, erring towards hiding too much: a password may hold "/",
    # "?" or "@" unescaped, as people paste them. The last "@" before the query, else the
    # last "@" at all.
    query = rest.find("?")
    at = rest.rfind("@", 0, query if query >= 0 else len(rest))
    if at < 0:
        at = rest.rfind("@")
    if at >= 0:
        user, colon, _ = rest[:at].partition(":")
        rest = f"{user}{':***' if colon else ''}{rest[at:]}"
    return f"{scheme}://" + _SECRET_VALUE.sub(r"\1***", rest)


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every occurrence of each secret replaced by ``***``.

    For messages built from a library's errors: they should hold no secret, and this makes
    sure of it whatever the library says.
    """
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _postgres(text: str) -> PostgresUrl:
    shown = redact(text)
    base, question, query = text.partition("?")
    schema = DEFAULT_SCHEMA
    project = None
    kept = []
    for part in query.split("&") if question else ():
        name, _, value = part.partition("=")
        if unquote(name) == "schema":
            schema = unquote(value)
        elif unquote(name) == "project":
            project = unquote(value).strip() or None
        elif part:
            kept.append(part)
    if not _IDENTIFIER.fullmatch(schema):
        raise ConfigError(
            f"the state location {shown}: schema {schema!r} is not a plain SQL name "
            "(letters, digits and _, not starting with a digit)",
            hint=_HINT,
        )
    conninfo = base + (f"?{'&'.join(kept)}" if kept else "")
    return PostgresUrl(conninfo=conninfo, schema=schema, shown=redact(conninfo), project=project)


def _s3(text: str) -> S3Url:
    shown = redact(text)
    parts = urlsplit(text)
    if "@" in parts.netloc:
        raise ConfigError(
            f"the state location {shown} holds credentials; an S3 URL names the bucket and key "
            "only",
            hint="Remove them from the URL: the S3 state takes its credentials from the usual "
            "AWS chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, a role).",
        )
    bucket, key = parts.netloc, unquote(parts.path.lstrip("/"))
    if not _BUCKET.fullmatch(bucket):
        raise ConfigError(
            f"the state location {shown}: {bucket!r} is not an S3 bucket name (3 to 63 "
            "lower-case letters, digits, dots and hyphens)",
            hint=_HINT,
        )
    if not key or key.endswith("/"):
        raise ConfigError(
            f"the state location {shown} names no object: give the key of the state after "
            "the bucket",
            hint="For example s3://my-bucket/reconciler/production/state.json",
        )
    parameters = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(parameters) - set(_S3_PARAMETERS))
    if unknown:
        raise ConfigError(
            f"the state location {shown}: unknown parameter {', '.join(unknown)} (an S3 URL "
            f"takes {' and '.join(_S3_PARAMETERS)})",
            hint="Credentials come from the usual AWS chain, never from the URL.",
        )
    endpoint = parameters.get("endpoint") or None
    if endpoint is not None and urlsplit(endpoint).scheme not in ("http", "https"):
        raise ConfigError(
            f"the state location {shown}: the endpoint must be an http:// or https:// URL",
            hint="For example ?endpoint=https://minio.internal:9000",
        )
    return S3Url(
        bucket=bucket,
        key=key,
        endpoint=endpoint,
        region=parameters.get("region") or None,
        lease=_lease(parameters.get("lease"), shown),
    )


def _lease(text: str | None, shown: str) -> float | None:
    if not text:
        return None
    try:
        seconds = parse_duration(text)
    except ValueError as error:
        raise ConfigError(f"the state location {shown}: lease: {error}", hint=_HINT) from None
    if seconds < 1:
        raise ConfigError(
            f"the state location {shown}: a lease of {text} is too short to be renewed",
            hint="Give a lease of a few seconds at least, e.g. ?lease=60s (the default).",
        )
    return seconds
