"""Where Soda Cloud is and how to authenticate: flags > environment > reconciler.yml > defaults.

Hosts:
- ``cloud.soda.io`` (EU, the default) and ``cloud.us.soda.io`` (US), or any host name: HTTPS,
  with the Reporting API at ``https://reporting.<host>/v1``;
- a full URL such as ``http://127.0.0.1:8555`` (a local Soda Cloud started with
  ``reconciler emulator serve``): the Reporting API is on the same server under ``/v1``;
- ``local``: the embedded local Soda Cloud, started in-process, with no account needed.

The API key travels only over TLS: a plain ``http://`` URL is accepted for a loopback host
(a local Soda Cloud on this machine) and refused for any other host unless
``--allow-insecure-http`` (``RECONCILER_ALLOW_INSECURE_HTTP``, ``cloud.allow_insecure_http``)
says so.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from reconciler.cloud.retry import DEFAULT_RETRY_BUDGET
from reconciler.config import CloudSection
from reconciler.duration import parse_duration
from reconciler.environment import Environment
from reconciler.errors import ConfigError

log = logging.getLogger("reconciler.cloud")

DEFAULT_HOST = "cloud.soda.io"
LOCAL_HOST = "local"
ENV_HOST = "SODA_CLOUD_HOST"
ENV_KEY_ID = "SODA_CLOUD_API_KEY_ID"
ENV_KEY_SECRET = "SODA_CLOUD_API_KEY_SECRET"
ENV_REPORTING_HOST = "SODA_CLOUD_REPORTING_HOST"
# Only for a time-scaled local Soda Cloud served by `reconciler emulator serve --time-scale X`:
# the client must wait in the same clock.
ENV_TIME_SCALE = "RECONCILER_TIME_SCALE"
# The local Soda Cloud runs its clock faster so rate-limit windows and scans pass quickly.
DEFAULT_LOCAL_TIME_SCALE = 60.0
ENV_RETRY_TIMEOUT = "RECONCILER_RETRY_TIMEOUT"
ENV_ALLOW_INSECURE_HTTP = "RECONCILER_ALLOW_INSECURE_HTTP"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})
# `time_scale: simulated`: the local Soda Cloud and the client share a simulated clock.
SIMULATED = "simulated"
# The key of the embedded local Soda Cloud, documented in the README: it guards nothing.
LOCAL_KEY_ID = "local"
LOCAL_KEY_SECRET = "local-secret"


class Secret:
    """A value that never shows itself in ``str``, ``repr``, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class CloudFlags:
    """The connection settings given on the command line (None: not given)."""

    host: str | None = None
    api_key_id: str | None = None
    api_key_secret: str | None = None
    reporting_host: str | None = None
    retry_timeout: str | None = None  # a duration: 90s, 3m...
    allow_insecure_http: bool = False


@dataclass(frozen=True)
class CloudSettings:
    host: str
    base_url: str
    reporting_url: str
    api_key_id: str
    api_key_secret: Secret = field(repr=False)
    time_scale: float = 1.0
    # Clock seconds one call may keep failing (5xx, resets, timeouts) before it is given up on.
    retry_timeout: float = DEFAULT_RETRY_BUDGET
    # Send the key to a non-loopback http:// host (never, unless explicitly allowed).
    allow_insecure_http: bool = False
    # The local Soda Cloud on a simulated clock: waits take no time and every run of the same
    # commands gives the same figures (call counts, polls, times).
    simulated: bool = False

    @property
    def is_local(self) -> bool:
        return self.host == LOCAL_HOST


def resolve_cloud_settings(
    section: CloudSection | None = None,
    *,
    flags: CloudFlags | None = None,
    environ: Mapping[str, str] | None = None,
) -> CloudSettings:
    """Merge flags, environment and the ``cloud:`` section of reconciler.yml.

    For ``local`` the base URL is not known until the embedded Soda Cloud starts; it is left
    empty here and filled in by :func:`reconciler.cloud.local.start_local_cloud`.
    """
    section = section or CloudSection()
    flags = flags or CloudFlags()
    env = os.environ if environ is None else environ

    def pick(flag: str | None, env_name: str, file_value: str | None) -> str | None:
        for value in (flag, env.get(env_name), file_value):
            if value:
                return value
        return None

    host = (pick(flags.host, ENV_HOST, section.host) or DEFAULT_HOST).strip()
    reporting = pick(flags.reporting_host, ENV_REPORTING_HOST, section.reporting_host)
    key_id = pick(flags.api_key_id, ENV_KEY_ID, section.api_key_id)
    secret = pick(flags.api_key_secret, ENV_KEY_SECRET, section.api_key_secret)
    retry_timeout = _retry_timeout(flags.retry_timeout, env, section.retry_timeout)
    insecure = flags.allow_insecure_http or _flag(env, ENV_ALLOW_INSECURE_HTTP)
    insecure = insecure or bool(section.allow_insecure_http)

    simulated = section.time_scale == SIMULATED and not env.get(ENV_TIME_SCALE)
    file_scale = section.time_scale if isinstance(section.time_scale, float) else None
    if host == LOCAL_HOST:
        return CloudSettings(
            host=LOCAL_HOST,
            base_url="",
            reporting_url="",
            api_key_id=key_id or LOCAL_KEY_ID,
            api_key_secret=Secret(secret or LOCAL_KEY_SECRET),
            time_scale=1.0
            if simulated
            else _time_scale(env, file_scale) or DEFAULT_LOCAL_TIME_SCALE,
            simulated=simulated,
            retry_timeout=retry_timeout,
        )
    if simulated:
        raise ConfigError(
            f"cloud.time_scale: {SIMULATED} is for the embedded local Soda Cloud only, not {host}",
            hint="Set cloud.host: local, or remove time_scale (or give a number for a "
            "time-scaled `reconciler emulator serve`).",
        )

    missing = [
        name for name, value in ((ENV_KEY_ID, key_id), (ENV_KEY_SECRET, secret)) if not value
    ]
    if missing:
        raise ConfigError(
            f"no Soda Cloud API key: {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set",
            hint=(
                f"Set {ENV_KEY_ID} and {ENV_KEY_SECRET} (an API key from Soda Cloud, profile > "
                "API keys), or put them in reconciler.yml under cloud: as ${env.NAME} references. "
                f"To try the reconciler without an account, set {ENV_HOST}=local."
            ),
        )
    assert key_id is not None
    assert secret is not None
    base_url = base_url_for(host)
    settings = CloudSettings(
        host=host,
        base_url=base_url,
        reporting_url=reporting_url_for(reporting) if reporting else derive_reporting_url(base_url),
        api_key_id=key_id,
        api_key_secret=Secret(secret),
        time_scale=_time_scale(env, file_scale) or 1.0,
        retry_timeout=retry_timeout,
        allow_insecure_http=insecure,
    )
    require_tls(settings)
    return settings


def environment_flags(
    environment: Environment, flags: CloudFlags, environ: Mapping[str, str] | None = None
) -> CloudFlags:
    """The connection settings of ``environment`` as flags: its host and reporting host, and
    its key read from the variables it names. Flags given on the command line still win; the
    environment's settings win over ``SODA_CLOUD_*``, so a key meant for one Soda Cloud is
    never sent to another. A variable it names that is not set is an error."""
    env = os.environ if environ is None else environ

    def key(flag: str | None, variable: str | None, what: str) -> str | None:
        if flag or variable is None:
            return flag
        value = env.get(variable)
        if not value:
            raise ConfigError(
                f"environment {environment.name}: its API key {what} is read from {variable}, "
                "which is not set",
                hint=f"Set {variable} (in CI: from the secret of that environment), or change "
                f"environments: {environment.name}: api_key_{what.replace(' ', '_')}_env in "
                "reconciler.yml.",
            )
        return value

    return dataclasses.replace(
        flags,
        host=flags.host or environment.host,
        reporting_host=flags.reporting_host or environment.reporting_host,
        api_key_id=key(flags.api_key_id, environment.api_key_id_env, "id"),
        api_key_secret=key(flags.api_key_secret, environment.api_key_secret_env, "secret"),
    )


def require_tls(settings: CloudSettings) -> None:
    """Refuse, before any request, to send the key in clear to a host beyond this machine.

    Loopback hosts (``127.0.0.0/8``, ``::1``, ``localhost``: a local Soda Cloud) may use plain
    HTTP. Any other ``http://`` host needs ``allow_insecure_http``, and is then warned about."""
    for url, setting in (
        (settings.base_url, "the Soda Cloud host"),
        (settings.reporting_url, "the Reporting API host"),
    ):
        parts = urlsplit(url)
        if parts.scheme != "http" or is_loopback(parts.hostname or ""):
            continue
        if settings.allow_insecure_http:
            log.warning(
                "sending the API key without TLS to %s (--allow-insecure-http)", parts.netloc
            )
            continue
        raise ConfigError(
            f"refusing to send the API key over plain HTTP to {parts.netloc} ({setting}, "
            f"{_without_userinfo(url)}): anyone on the way could read it",
            hint=f"Use https://{parts.netloc}. Plain http:// is for a local Soda Cloud on this "
            "machine (127.0.0.1, localhost); to send the key in clear anyway, pass "
            f"--allow-insecure-http (or set {ENV_ALLOW_INSECURE_HTTP}=1, or "
            "cloud.allow_insecure_http: true in reconciler.yml).",
        )


def is_loopback(hostname: str) -> bool:
    name = hostname.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def base_url_for(host: str) -> str:
    """``cloud.soda.io`` -> ``https://cloud.soda.io``; a URL is kept (without a trailing /)."""
    if "://" not in host:
        if not host or "/" in host or " " in host:
            raise ConfigError(
                f"'{host}' is not a Soda Cloud host",
                hint="Use cloud.soda.io (EU), cloud.us.soda.io (US), a URL such as http://127.0.0.1:8555, or local.",
            )
        return f"https://{host}"
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"'{_without_userinfo(host)}' is not an http(s) URL of a Soda Cloud",
            hint="Use cloud.soda.io (EU), cloud.us.soda.io (US), a URL such as http://127.0.0.1:8555, or local.",
        )
    if parts.username or parts.password:
        raise ConfigError(
            "the Soda Cloud URL must not contain credentials",
            hint=f"Remove user:password@ from the URL and set {ENV_KEY_ID} and {ENV_KEY_SECRET}.",
        )
    return host.rstrip("/")


def reporting_url_for(reporting_host: str) -> str:
    url = base_url_for(reporting_host)
    return url if urlsplit(url).path.rstrip("/").endswith("/v1") else f"{url}/v1"


def derive_reporting_url(base_url: str) -> str:
    """Soda's hosts have a ``reporting.`` sibling; any other server serves ``/v1`` itself."""
    parts = urlsplit(base_url)
    hostname = parts.hostname or ""
    if hostname.startswith("cloud.") and hostname.endswith("soda.io"):
        return f"{parts.scheme}://reporting.{parts.netloc}/v1"
    return f"{base_url}/v1"


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if parts.username or parts.password:
        return url.replace(parts.netloc, parts.netloc.rsplit("@", 1)[-1])
    return url


def _retry_timeout(
    flag: str | None, env: Mapping[str, str], from_file: str | float | None
) -> float:
    for text, where in (
        (flag, "--retry-timeout"),
        (env.get(ENV_RETRY_TIMEOUT), ENV_RETRY_TIMEOUT),
        (from_file, "cloud.retry_timeout in reconciler.yml"),
    ):
        if text is None or text == "":
            continue
        try:
            return parse_duration(str(text))
        except ValueError as error:
            raise ConfigError(f"{where}: {error}") from None
    return DEFAULT_RETRY_BUDGET


def _flag(env: Mapping[str, str], name: str) -> bool:
    text = env.get(name, "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{name}={text!r} is not a yes/no value", hint="Use 1 or 0 (true/false).")


def _time_scale(env: Mapping[str, str], from_file: float | None) -> float | None:
    text = env.get(ENV_TIME_SCALE)
    if not text:
        return from_file
    try:
        scale = float(text)
    except ValueError:
        scale = 0.0
    if scale <= 0:
        raise ConfigError(f"{ENV_TIME_SCALE}={text!r} is not a positive number")
    return scale
