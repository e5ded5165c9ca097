"""Soda's OpenAPI documents (read from ../shared/api at test time) as response validators.
A test module that uses them marks itself ``pytestmark = NEEDS_DOCUMENTS``: it skips on a
plain clone (see ``tests/shared.py``).

Some properties carry both ``"type": "object"`` and a ``$ref`` to a string enum (``state``,
``scanState``, ``evaluationStatus``, ``level``). Under JSON Schema 2020-12 both would apply and
no string could pass, so ``$ref`` is taken as authoritative and its siblings dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from tests.shared import API as SHARED_API
from tests.shared import needs

CONTRACTS_DOC = "soda-cloud-v1-contracts.openapi.json"
SCANS_DOC = "soda-cloud-v1-scans.openapi.json"
INCIDENTS_DOC = "soda-cloud-reporting-incidents.openapi.json"
NEEDS_DOCUMENTS = needs(*(SHARED_API / name for name in (CONTRACTS_DOC, SCANS_DOC, INCIDENTS_DOC)))

_FORMATS = FormatChecker()


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return "T" in value


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if isinstance(value, str):
        date.fromisoformat(value)
    return True


def _ref_wins(schema: Any) -> Any:
    if isinstance(schema, dict):
        if "$ref" in schema:
            return {"$ref": schema["$ref"]}
        return {key: _ref_wins(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_ref_wins(item) for item in schema]
    return schema


@dataclass(frozen=True)
class Operation:
    document: str
    method: str
    template: str
    spec: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


class Document:
    def __init__(self, name: str, prefix: str = "") -> None:
        self.name = name
        self.raw: dict[str, Any] = json.loads((SHARED_API / name).read_text(encoding="utf-8"))
        self.prefix = prefix  # the Reporting API is served under /v1
        self.components = _ref_wins(self.raw.get("components", {}))
        self.operations = [
            Operation(name, method.upper(), prefix + template, spec)
            for template, methods in self.raw["paths"].items()
            for method, spec in methods.items()
        ]

    def validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        root = {**_ref_wins(schema), "components": self.components}
        return Draft202012Validator(root, format_checker=_FORMATS)


@cache
def documents() -> tuple[Document, ...]:
    return (Document(CONTRACTS_DOC), Document(SCANS_DOC), Document(INCIDENTS_DOC, "/v1"))


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")


def find_operation(method: str, path: str) -> tuple[Document, Operation] | None:
    """The documented operation a concrete request hits (literal paths before templated)."""
    candidates = [(doc, op) for doc in documents() for op in doc.operations if op.method == method]
    candidates.sort(key=lambda pair: pair[1].template.count("{"))
    for doc, op in candidates:
        if _pattern(op.template).match(path):
            return doc, op
    return None


def response_schema(op: Operation, status: int) -> dict[str, Any] | None:
    """The JSON schema documented for a status, or None when the status has no body."""
    responses = op.spec["responses"]
    if str(status) not in responses:
        raise AssertionError(f"{op.key} does not document status {status}")
    content = responses[str(status)].get("content")
    if not content:
        return None
    schema: dict[str, Any] = content["application/json"]["schema"]
    return schema


def documented_headers(op: Operation, status: int) -> list[str]:
    headers = op.spec["responses"].get(str(status), {}).get("headers", {})
    return list(headers)


def validation_errors(doc: Document, schema: dict[str, Any], body: Any) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in doc.validator(schema).iter_errors(body)
    ]
