"""What a handler gets besides the request, and the request-reading helpers of the core API."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from starlette.requests import Request

from reconciler.emulator.auth import Principal
from reconciler.emulator.responses import ApiProblem

T = TypeVar("T")


@dataclass(frozen=True)
class Context:
    now: datetime  # one instant per request: settling and views agree on it
    principal: Principal
    origin: str  # scheme://host:port as the client addressed us


def origin_of(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def int_param(
    request: Request, name: str, *, default: int, low: int, high: int | None = None
) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ApiProblem(
            400, "invalid_parameter", f"query parameter `{name}` must be an integer, got '{raw}'"
        ) from None
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ApiProblem(
            400,
            "invalid_parameter",
            f"query parameter `{name}` must be {bounds} (inclusive), got {value}",
        )
    return value


def paging(request: Request, *, default_size: int, low: int, high: int) -> tuple[int, int]:
    """``(page, size)``: page from 0, size within the endpoint's documented bounds."""
    page = int_param(request, "page", default=0, low=0)
    size = int_param(request, "size", default=default_size, low=low, high=high)
    return page, size


def page_body(items: Sequence[T], page: int, size: int) -> tuple[list[T], dict[str, Any]]:
    """The slice for a page and the page fields (Spring style: ``number`` from 0)."""
    total = len(items)
    pages = math.ceil(total / size) if total else 0
    content = list(items[page * size : (page + 1) * size])
    return content, {
        "first": page == 0,
        "last": page >= pages - 1,
        "number": page,
        "size": size,
        "totalElements": total,
        "totalPages": pages,
    }


async def json_object(request: Request, *, optional: bool = False) -> dict[str, Any]:
    """The request body as a JSON object (400 otherwise; ``{}`` for an optional empty body)."""
    raw = await request.body()
    if not raw.strip():
        if optional:
            return {}
        raise ApiProblem(400, "invalid_request", "the request body must be a JSON object")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiProblem(
            400, "invalid_request", f"the request body is not valid JSON: {error}"
        ) from None
    if not isinstance(body, dict):
        raise ApiProblem(400, "invalid_request", "the request body must be a JSON object")
    return body


def optional_string(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiProblem(400, "invalid_request", f"`{name}` must be a string")
    return value


def string_list(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ApiProblem(400, "invalid_request", f"`{name}` must be a list of strings")
    return list(value)
