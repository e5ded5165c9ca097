"""The ASGI app: routes, and the pipeline every API request goes through.

For an API route (core ``/api/v1/...`` and Reporting ``/v1/...``), in order:
count it, draw faults (latency, reset, 5xx, spurious 429), authenticate (401), take a
rate-limit slot (429 + ``Retry-After``), refuse viewers on writes (403), settle finished
operations, run the handler, and for a lost response break it after the work is done.
Every response carries a fresh ``X-Soda-Trace-Id``.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.emulator import admin, api, reporting, users
from reconciler.emulator.admin import AdminHandler, is_loopback
from reconciler.emulator.api import Handler
from reconciler.emulator.auth import authenticate
from reconciler.emulator.context import Context, origin_of
from reconciler.emulator.limits import lane_of
from reconciler.emulator.responses import (
    TRACE_HEADER,
    ApiProblem,
    BrokenResponse,
    error_response,
    json_response,
)
from reconciler.emulator.service import Emulator

log = logging.getLogger("reconciler.emulator")

_TRACE_KEY = "emulator.trace_id"


class TraceIds:
    """Adds a fresh trace id to every response, errors and 429s included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace_id = uuid.uuid4().hex
        scope[_TRACE_KEY] = trace_id
        header = (TRACE_HEADER.lower().encode(), trace_id.encode())

        async def send_traced(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        await self.app(scope, receive, send_traced)


def create_app(emulator: Emulator) -> Starlette:
    routes: list[Route] = []
    for method, template, handler, write in api.ROUTES + users.ROUTES:
        endpoint = _api_endpoint(
            emulator, method, template, handler, write=write, reporting_api=False
        )
        routes.append(Route(template, endpoint, methods=[method]))
    for method, template, handler in reporting.ROUTES:
        endpoint = _api_endpoint(
            emulator, method, template, handler, write=False, reporting_api=True
        )
        routes.append(Route(template, endpoint, methods=[method]))
    for method, template, admin_handler in admin.ROUTES:
        routes.append(Route(template, _admin_endpoint(emulator, admin_handler), methods=[method]))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        emulator.stats.requests["unmatched"] += 1
        return _error(
            ApiProblem(exc.status_code, code, f"{request.method} {request.url.path}: {exc.detail}"),
            reporting_api=request.url.path.startswith("/v1/"),
        )

    async def server_error(request: Request, exc: Exception) -> Response:
        trace_id = request.scope.get(_TRACE_KEY, "")
        log.error(
            "emulator error on %s %s (trace id %s)", request.method, request.url.path, trace_id
        )
        return error_response(
            500, "internal_error", f"the emulator failed on this request (trace id {trace_id})"
        )

    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    app.add_middleware(TraceIds)
    app.state.emulator = emulator
    return app


def _api_endpoint(
    em: Emulator, method: str, template: str, handler: Handler, *, write: bool, reporting_api: bool
) -> Any:
    key = f"{method} {template}"

    async def endpoint(request: Request) -> Response:
        em.stats.requests[key] += 1
        draw = em.faults.draw(method)
        if draw.latency_ms > 0:
            await em.clock.sleep(draw.latency_ms / 1000.0)
        if draw.reset:
            em.stats.faults["reset"] += 1
            log.info("fault: connection broken before %s %s", method, request.url.path)
            return BrokenResponse()
        if draw.error_status is not None:
            em.stats.faults["error"] += 1
            code = "internal_error" if draw.error_status == 500 else "service_unavailable"
            response = _error(
                ApiProblem(draw.error_status, code, "injected fault: the server failed"),
                reporting_api=reporting_api,
            )
        elif draw.throttle_after is not None:
            em.stats.faults["throttle"] += 1
            response = _error(
                ApiProblem(
                    429,
                    "rate_limited",
                    f"too many requests (injected); retry after {draw.throttle_after} s",
                    {"Retry-After": str(draw.throttle_after)},
                ),
                reporting_api=reporting_api,
            )
        else:
            response = await _serve(
                em, request, key, handler, write=write, reporting_api=reporting_api
            )
        if draw.lose_response:
            em.stats.faults["lost_response"] += 1
            log.info("fault: response to %s %s lost after the work", method, request.url.path)
            return BrokenResponse()
        em.stats.responses[key][str(response.status_code)] += 1
        return response

    return endpoint


async def _serve(
    em: Emulator, request: Request, key: str, handler: Handler, *, write: bool, reporting_api: bool
) -> Response:
    principal = authenticate(request.headers, em.keys, reporting=reporting_api)
    if principal is None:
        how = "HTTP Basic or X-API-KEY-ID/X-API-KEY-SECRET" if reporting_api else "HTTP Basic"
        return _error(
            ApiProblem(
                401,
                "unauthorized",
                f"missing or unknown API key; authenticate with {how} (key id and secret)",
                {"WWW-Authenticate": 'Basic realm="Soda Cloud"'},
            ),
            reporting_api=reporting_api,
        )
    retry_after = em.limiter.acquire(key)
    if retry_after is not None:
        em.stats.throttled[key] += 1
        limit = em.limiter.limit(key)
        return _error(
            ApiProblem(
                429,
                "rate_limited",
                f"rate limit of {lane_of(key)} exceeded ({limit} requests per 60 seconds); "
                f"retry after {retry_after} s",
                {"Retry-After": str(retry_after)},
            ),
            reporting_api=reporting_api,
        )
    if write and not principal.can_write:
        return _error(
            ApiProblem(
                403,
                "forbidden",
                f"API key '{principal.key_id}' has role {principal.role}; {key} needs the "
                "Manage contracts permission",
            ),
            reporting_api=reporting_api,
        )
    ctx = Context(now=em.clock.now(), principal=principal, origin=origin_of(request))
    em.settle(ctx.now)
    try:
        return await handler(em, request, ctx)
    except ApiProblem as problem:
        return _error(problem, reporting_api=reporting_api)
    except reporting.Invalid as invalid:
        return json_response({"detail": invalid.errors}, 422)


def _error(problem: ApiProblem, *, reporting_api: bool) -> Response:
    if reporting_api:
        # FastAPI answers with ``detail``; keep ``code``/``message`` for clients of both APIs.
        body = {"code": problem.code, "message": problem.message, "detail": problem.message}
        return json_response(body, problem.status, problem.headers)
    return error_response(problem.status, problem.code, problem.message, problem.headers)


def _admin_endpoint(em: Emulator, handler: AdminHandler) -> Any:
    async def endpoint(request: Request) -> Response:
        if not is_loopback(request):
            return error_response(403, "forbidden", "/_emulator/ answers loopback callers only")
        try:
            return await handler(em, request)
        except ApiProblem as problem:
            return error_response(problem.status, problem.code, problem.message, problem.headers)

    return endpoint
