"""A UTF-8 byte order mark is refused at file:1:1: never published, never fingerprinted away."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.contract import parse_contract_bytes
from reconciler.emulator import RunningEmulator
from tests.audit.support import ORDERS, Project, contract
from tests.project import requests

BOM = b"\xef\xbb\xbf"


def test_a_bom_is_an_error_at_1_1_and_the_rest_is_still_checked() -> None:
    text = contract(ORDERS).replace("data_type", "data_typ").encode()
    parsed = parse_contract_bytes(BOM + text, "orders.yml", allow_stub=True)
    assert [(d.rule, d.line, d.col) for d in parsed.errors] == [
        ("byte-order-mark", 1, 1),
        ("unknown-key", 4, 5),  # places are those of the text without the mark
    ]
    assert parse_contract_bytes(text.replace(b"data_typ", b"data_type"), "orders.yml").ok


@pytest.fixture
def project(tmp_path: Path, emulator: RunningEmulator) -> Project:
    return Project(tmp_path, emulator)


def test_a_file_with_a_bom_is_refused_by_validate_and_nothing_is_published(
    project: Project,
) -> None:
    path = project.write(ORDERS, contract(ORDERS))
    path.write_bytes(BOM + path.read_bytes())
    validate = project.run("validate", str(project.contracts))
    assert validate.exit_code == 1
    assert (
        f"{ORDERS}.yml:1:1: error: the file starts with a UTF-8 byte order mark"
        in (validate.output)
        or f"{ORDERS}.yml:1:1" in validate.output
    )
    applied = project.apply("--auto-approve")
    assert applied.exit_code == 1
    assert requests(project.cloud, "POST /api/v1/contracts") == [0]
    assert project.cloud.admin.state().contract_for(ORDERS) is None

    path.write_bytes(path.read_bytes()[len(BOM) :])
    assert project.apply("--auto-approve").exit_code == 0
    published = project.cloud.admin.state().contract_for(ORDERS)
    assert published is not None
    assert published.contents == contract(ORDERS)
