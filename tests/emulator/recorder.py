"""An httpx client that checks every response against Soda's documents as it goes, and
remembers which (operation, status) pairs it has seen."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import httpx

from tests.emulator.openapi import (
    Document,
    Operation,
    documented_headers,
    documents,
    find_operation,
    response_schema,
    validation_errors,
)

# The coverage endpoints have no OpenAPI document; these follow the examples of the
# Reporting API reference page (seed 000) and share FastAPI's 202/422 shapes.
_TEXT = {"type": "string"}
_PAGE_FIELDS: dict[str, Any] = {
    "total": {"type": "integer"},
    "page": {"type": "integer"},
    "size": {"type": "integer"},
}
_PAGED: dict[str, Any] = {"type": "object", "required": ["total", "page", "size", "data"]}
COVERAGE_SCHEMAS: dict[str, dict[str, Any]] = {
    "/v1/coverage/checks": {
        **_PAGED,
        "properties": {
            **_PAGE_FIELDS,
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["check_id", "dataset_id", "check_name", "check_type"],
                    "properties": {
                        "check_id": _TEXT,
                        "organization_id": _TEXT,
                        "check_name": _TEXT,
                        "check_type": _TEXT,
                        "created_at": {"type": "string", "format": "date-time"},
                        "is_archived": _TEXT,
                        "dataset_id": _TEXT,
                        "attributes": {"type": "object"},
                        "is_group_aggregate_check": {"type": "boolean"},
                        "source": _TEXT,
                    },
                },
            },
        },
    },
    "/v1/coverage/datasets": {
        **_PAGED,
        "properties": {
            **_PAGE_FIELDS,
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["dataset_id", "dataset_name", "datasource_name"],
                    "properties": {
                        "dataset_id": _TEXT,
                        "organization_id": _TEXT,
                        "dataset_name": _TEXT,
                        "dataset_label": _TEXT,
                        "tags": {"type": "array", "items": _TEXT},
                        "owner_email": _TEXT,
                        "number_of_failed_checks": {"type": "integer"},
                        "last_scan_time": {"type": "string", "format": "date-time"},
                        "attributes": {"type": "object"},
                        "datasource_id": _TEXT,
                        "datasource_name": _TEXT,
                        "datasource_label": _TEXT,
                        "datasource_has_core_agent_enabled": {"type": "boolean"},
                    },
                },
            },
        },
    },
    "/v1/coverage/dataset_coverage": {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {
                "type": "object",
                "required": ["descriptives", "dataset_info"],
                "properties": {
                    "descriptives": {
                        "type": "object",
                        "additionalProperties": {"type": "number"},
                        "required": [
                            "median_number_of_checks",
                            "max_number_of_checks",
                            "min_number_of_checks",
                            "standard_deviation_number_of_checks",
                            "mean_number_of_checks",
                        ],
                    },
                    "dataset_info": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": [
                                "dataset_id",
                                "number_of_checks",
                                "relative_coverage_score",
                            ],
                            "properties": {
                                "dataset_id": _TEXT,
                                "number_of_checks": {"type": "integer"},
                                "relative_coverage_score": _TEXT,
                            },
                        },
                    },
                },
            },
        },
    },
}
_REPORTING_ERROR = {
    "type": "object",
    "required": ["code", "message", "detail"],
    "properties": {"code": _TEXT, "message": _TEXT, "detail": _TEXT},
}


# The Users API has no OpenAPI document here. This is what the emulator serves, written down
# from what Soda's Go CLI decodes (go/internal/api/users.go: content[] of userId, email,
# firstName, lastName, fullName) and the page fields of Soda's other lists.
USERS_PATH = "/api/v1/users"
USERS_KEY = f"GET {USERS_PATH}"
_USER: dict[str, Any] = {
    "type": "object",
    "required": ["userId", "email", "firstName", "lastName", "fullName"],
    "properties": {
        "userId": {"type": "string", "minLength": 1},
        "email": {"type": "string", "pattern": "^[^@\\s]+@[^@\\s]+$"},
        "firstName": _TEXT,
        "lastName": _TEXT,
        "fullName": {"type": "string", "minLength": 1},
    },
    "additionalProperties": False,
}
USERS_PAGE: dict[str, Any] = {
    "type": "object",
    "required": ["content", "first", "last", "number", "size", "totalElements", "totalPages"],
    "properties": {
        "content": {"type": "array", "items": _USER},
        "first": {"type": "boolean"},
        "last": {"type": "boolean"},
        "number": {"type": "integer", "minimum": 0},
        "size": {"type": "integer", "minimum": 1, "maximum": 1000},
        "totalElements": {"type": "integer", "minimum": 0},
        "totalPages": {"type": "integer", "minimum": 0},
    },
}
_CORE_ERROR = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": _TEXT, "message": _TEXT},
}

# Soda's Go CLI cancels a scan with POST .../actions/cancel; the emulator answers it as the
# documented DELETE /api/v1/scans/{scanId}, so it is checked against that operation.
CANCEL_ALIAS = re.compile(r"^(/api/v1/scans/[^/]+)/actions/cancel$")
CANCEL_ALIAS_KEY = "POST /api/v1/scans/{scanId}/actions/cancel"


class Recorder:
    def __init__(
        self,
        base_url: str,
        auth: tuple[str, str] | None,
        *,
        seen: defaultdict[str, set[int]] | None = None,
        trace_ids: set[str] | None = None,
    ) -> None:
        self.base_url = base_url
        self.client = httpx.Client(base_url=base_url, auth=auth, timeout=30.0)
        self.seen: defaultdict[str, set[int]] = seen if seen is not None else defaultdict(set)
        self.trace_ids: set[str] = trace_ids if trace_ids is not None else set()
        self._others: list[Recorder] = []

    def as_key(self, auth: tuple[str, str] | None) -> Recorder:
        """Another identity sharing this recorder's bookkeeping."""
        other = Recorder(self.base_url, auth, seen=self.seen, trace_ids=self.trace_ids)
        self._others.append(other)
        return other

    def close(self) -> None:
        for other in self._others:
            other.close()
        self.client.close()

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)
        self.check(method, path, response)
        return response

    def check(self, method: str, path: str, response: httpx.Response) -> None:
        trace_id = response.headers.get("X-Soda-Trace-Id")
        assert trace_id, f"{method} {path}: no X-Soda-Trace-Id"
        assert trace_id not in self.trace_ids, f"{method} {path}: trace id reused"
        self.trace_ids.add(trace_id)
        if method == "GET" and path == USERS_PATH:
            self._check_users(response)
            return
        alias = CANCEL_ALIAS.match(path) if method == "POST" else None
        if alias is not None:
            self.seen[CANCEL_ALIAS_KEY].add(response.status_code)
            method, path = "DELETE", alias.group(1)
        found = find_operation(method, path)
        if found is None:
            self._check_coverage_endpoint(method, path, response)
            return
        doc, op = found
        self.seen[op.key].add(response.status_code)
        status = str(response.status_code)
        if status not in op.spec["responses"] and doc.name.endswith("incidents.openapi.json"):
            # The Reporting document lists 200/202/422 only; 401 keeps the error shape.
            self._validate(doc, op, _REPORTING_ERROR, response)
            return
        schema = response_schema(op, response.status_code)
        for header in documented_headers(op, response.status_code):
            assert response.headers.get(header), f"{op.key} {status}: no {header} header"
        if schema is None:
            assert response.content == b"", f"{op.key} {status}: a body where none is documented"
            return
        self._validate(doc, op, schema, response)

    def _validate(
        self, doc: Document, op: Operation, schema: dict[str, Any], response: httpx.Response
    ) -> None:
        assert response.headers["content-type"].startswith("application/json")
        errors = validation_errors(doc, schema, response.json())
        assert not errors, f"{op.key} {response.status_code}: {errors}"

    def _check_users(self, response: httpx.Response) -> None:
        self.seen[USERS_KEY].add(response.status_code)
        schema = USERS_PAGE if response.status_code == 200 else _CORE_ERROR
        fake = Operation("users (written down in recorder.py)", "GET", USERS_PATH, {})
        self._validate(documents()[0], fake, schema, response)

    def _check_coverage_endpoint(self, method: str, path: str, response: httpx.Response) -> None:
        reporting = documents()[2]
        self.seen[f"{method} {path}"].add(response.status_code)
        fake = Operation(reporting.name, method, path, {})
        if response.status_code == 200:
            schema = COVERAGE_SCHEMAS[path]
        elif response.status_code == 202:
            schema = {"$ref": "#/components/schemas/NoContentError"}
        elif response.status_code == 422:
            schema = {"$ref": "#/components/schemas/HTTPValidationError"}
        else:
            schema = _REPORTING_ERROR
        self._validate(reporting, fake, schema, response)
