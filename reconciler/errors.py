"""Every error the reconciler raises on purpose, in one tree.

Each error carries a message a person can act on: what was wrong, where (file:line:col,
dataset, HTTP status and trace id) and, in ``hint``, what to do. The CLI maps the tree to
exit codes in one place (``reconciler.cli.main``), using ``exit_code``.

    ReconcilerError                   base; exit 1
    ├── ConfigError                   bad reconciler.yml, flag or environment; missing credentials
    │   ├── DataSourceConfigError     a Soda data source configuration that cannot be used
    │   └── EngineNotInstalled        Soda's engine, or its package for a data source type, is missing
    ├── ContractLoadError             a contract file that cannot be read or parsed safely
    ├── ContractsInvalid              the contracts folder has errors; nothing is planned from it
    ├── CloudError                    talking to Soda Cloud failed
    │   ├── TransportError            no HTTP answer: connect error, timeout, connection reset
    │   │   └── HostUnreachable       the first call found no server: DNS, refused, TLS, timeout
    │   ├── ApiError                  an HTTP error answer (status, code, message, trace id)
    │   │   ├── BadRequest            400
    │   │   ├── Unauthorized          401
    │   │   ├── Forbidden             403
    │   │   ├── NotFound              404
    │   │   │   └── DatasetUnknown    404 to a create or generation: Soda Cloud lacks the dataset
    │   │   ├── RateLimited           429
    │   │   └── ServerError           5xx
    │   ├── OperationFailed           an asynchronous operation ended failed or canceled
    │   └── DeadlineExceeded          a wait (poll) ran past its deadline
    │       └── RetriesExhausted      the retry budget is spent; says what was tried
    ├── StateError                    the state file (or the backend holding the state)
    │   ├── StateLocked               another run holds the lock
    │   ├── StateCorrupt              the state file cannot be read
    │   ├── StateForeign              the state belongs to another project (or was swapped)
    │   ├── StateConflict             another run wrote the state since it was read
    │   └── StateUnreachable          the state's server did not answer (host, port, cause)
    ├── PlanError                     a saved plan
    │   └── StalePlan                 what the saved plan was based on has moved
    ├── DriftRefused                  apply --fail-on drift: Soda Cloud changed outside git
    ├── WriteRefused                  a file could not be written safely (a link in the way, ...)
    └── Interrupted                   Ctrl-C or SIGTERM; exit 130

``cured_by_rerun`` says whether running the same command again can succeed without a
person changing anything (a lost connection: yes; a wrong key or an unknown dataset: no);
reports word their advice after it.

No error ever holds an API secret or an Authorization header: messages are built from
method, path, status, the server's code and message and the trace id only.
"""

from __future__ import annotations

from typing import Any


class ReconcilerError(Exception):
    """Base of every deliberate error; ``str()`` is the message shown to the user."""

    exit_code: int = 1
    cured_by_rerun: bool = False

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ConfigError(ReconcilerError):
    """A setting is missing or wrong (reconciler.yml, environment, flags)."""


class DataSourceConfigError(ConfigError):
    """A Soda data source configuration (``type``, ``name``, ``connection``) that cannot be
    used; the message says where (``file:line:col``) and never holds a secret."""


class EngineNotInstalled(ConfigError):
    """Soda's engine (soda-core), or the package of a data source type, is not installed."""


class ContractLoadError(ReconcilerError):
    """A contract file cannot be read or parsed safely; carries its place."""

    def __init__(
        self,
        message: str,
        *,
        file: str,
        line: int = 1,
        col: int = 1,
        rule: str = "load",
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.file = file
        self.line = line
        self.col = col
        self.rule = rule

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class ContractsInvalid(ReconcilerError):
    """The contracts folder has errors; the diagnostics were already reported."""


class CloudError(ReconcilerError):
    """Talking to Soda Cloud failed."""

    cured_by_rerun = True


class TransportError(CloudError):
    """No HTTP answer at all: the request may or may not have reached the server."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        reached_server: bool | None,
        cause: str = "connection problem",
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.method = method
        self.path = path
        # False: surely never reached (connect error); None: unknown (reset, read timeout).
        self.reached_server = reached_server
        # What went wrong, in a word or two: "connection reset", "DNS", "read timeout"...
        self.cause = cause


class HostUnreachable(TransportError):
    """The first call to Soda Cloud found no server to talk to; nothing was retried.

    ``cause`` is one of ``DNS`` (the name does not resolve), ``refused`` (nothing listens on
    the port), ``TLS`` (the handshake failed) or ``timeout`` (no answer to the connection)."""

    def __init__(
        self, message: str, *, host: str, cause: str, method: str, path: str, hint: str
    ) -> None:
        super().__init__(
            message, method=method, path=path, reached_server=False, cause=cause, hint=hint
        )
        self.host = host


class ApiError(CloudError):
    """Soda Cloud answered with an HTTP error."""

    default_hint: str | None = None

    def __init__(
        self,
        *,
        status: int,
        method: str,
        path: str,
        code: str | None = None,
        server_message: str | None = None,
        trace_id: str | None = None,
        hint: str | None = None,
        context: str | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.code = code
        self.server_message = server_message
        self.trace_id = trace_id
        self.context = context
        parts = [f"Soda Cloud answered {status} to {method} {path}"]
        if context:
            parts[0] = f"{context}: {parts[0]}"
        if code or server_message:
            parts.append(
                ": " + " ".join(p for p in (f"[{code}]" if code else None, server_message) if p)
            )
        if trace_id:
            parts.append(f" (trace id {trace_id})")
        super().__init__("".join(parts), hint=hint or self.default_hint)


class BadRequest(ApiError):
    cured_by_rerun = False
    default_hint = "Soda Cloud refused the request as invalid; the message above says why."


class CheckPathsUnavailable(BadRequest):
    """Soda Cloud does not take ``checkPaths`` in a verification for this organisation (the
    API reference: "checkPaths may not be available for all organizations"). Apply then
    verifies the whole contract instead."""

    default_hint = "Verify the whole contract (--verify changed), which every organisation can."


class Unauthorized(ApiError):
    cured_by_rerun = False
    default_hint = (
        "Check SODA_CLOUD_API_KEY_ID and SODA_CLOUD_API_KEY_SECRET, and that SODA_CLOUD_HOST "
        "points to the region (EU cloud.soda.io, US cloud.us.soda.io) where the key was made."
    )


class Forbidden(ApiError):
    cured_by_rerun = False
    default_hint = 'The API key lacks the "Manage contracts" permission for this dataset.'


class NotFound(ApiError):
    default_hint = "The object does not exist in Soda Cloud (or the key cannot see it)."


class DatasetUnknown(NotFound):
    """Soda Cloud answered 404 to creating (or generating) a dataset's contract: it does not
    know the dataset. A re-run meets the same answer until the dataset is onboarded."""

    cured_by_rerun = False


class RateLimited(ApiError):
    default_hint = "Soda Cloud kept answering 429 past the retry budget; re-run later."


class ServerError(ApiError):
    default_hint = (
        "Soda Cloud had a server error; re-running is safe. Quote the trace id to Soda support."
    )


class OperationFailed(CloudError):
    """An asynchronous operation (skeleton, generation) ended failed or canceled."""


class DeadlineExceeded(CloudError):
    """A retry or poll loop ran past its deadline."""


class RetriesExhausted(DeadlineExceeded):
    """One call failed until its retry budget was spent (persistent 5xx, resets, timeouts).

    ``attempts`` counts the requests sent, ``causes`` how often each failure was seen
    (``503``, ``connection reset``...), ``trace_ids`` the trace ids Soda Cloud gave."""

    def __init__(
        self,
        message: str,
        *,
        host: str,
        attempts: int,
        causes: dict[str, int],
        trace_ids: tuple[str, ...],
        hint: str,
    ) -> None:
        super().__init__(message, hint=hint)
        self.host = host
        self.attempts = attempts
        self.causes = causes
        self.trace_ids = trace_ids


class StateError(ReconcilerError):
    """The state file cannot be used."""


class StateLocked(StateError):
    """Another run holds the state lock."""


class StateCorrupt(StateError):
    """The state file cannot be read."""


class StateForeign(StateError):
    """The state file belongs to another project, or is not the file its backup continues."""


class StateConflict(StateError):
    """A conditional write lost: the state changed since this run read it, and was kept.

    Two runs never both win; the loser writes nothing. Running again reads the new state."""

    cured_by_rerun = True


class StateUnreachable(StateError):
    """The server holding the state (PostgreSQL, S3) could not be reached."""

    cured_by_rerun = True


class PlanError(ReconcilerError):
    """A saved plan cannot be used."""


class StalePlan(PlanError):
    """What a saved plan was based on has moved since it was made."""


class DriftRefused(ReconcilerError):
    """``apply --fail-on drift``: applying would overwrite changes made in Soda Cloud that
    the plan did not expect; nothing was changed. ``entries`` are the plan's entries."""

    def __init__(self, entries: tuple[Any, ...], *, saved: bool) -> None:
        # The words are the renderers'; imported here, when one is raised.
        from reconciler.render.words import drift_refusal

        message, hint = drift_refusal(entries, saved=saved)
        super().__init__(message, hint=hint)
        self.entries = entries


class WriteRefused(ReconcilerError):
    """A file could not be written safely: a symbolic link or a non-file in the way, or the
    file system refused (permissions, a full disk). Nothing was written."""

    def __init__(self, message: str, *, reason: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        # The file system's own words (``Permission denied``), when it refused.
        self.reason = reason or message


class Interrupted(ReconcilerError):
    """The run was interrupted (Ctrl-C, SIGTERM) and stopped cleanly."""

    exit_code = 130
