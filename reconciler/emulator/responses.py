"""Building responses: JSON bodies, errors, and the deliberately broken response."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

TRACE_HEADER = "X-Soda-Trace-Id"


class ApiProblem(Exception):
    """An error answer: status, a machine ``code`` and a ``message`` a person can act on."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(payload, status_code=status, headers=headers, media_type="application/json")


def empty_response(status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers=headers)


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    return json_response({"code": code, "message": message}, status, headers)


class BrokenResponse(Response):
    """A response whose body is cut short: the status line and headers go out, then fewer
    bytes than ``Content-Length`` promises, then the app returns. uvicorn closes the
    connection and the client sees a transport error (httpx: ``RemoteProtocolError``),
    never an HTTP status it could act on."""

    def __init__(self) -> None:
        super().__init__(b"", status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", b"4096"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b'{"contract":', "more_body": True})
