"""The engine as the referee: our diagnostics combined with its verdict, and the modes."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from reconciler.contract import Diagnostic, parse_contract_text
from reconciler.contract.referee import (
    consult_engine,
    dry_run_variables,
    engine_judges,
    engine_wanted,
    referee,
    refereed,
)
from reconciler.engine import engine_status
from reconciler.engine.model import Diagnostic as EngineDiagnostic
from reconciler.engine.model import Verdict
from reconciler.errors import ConfigError, EngineNotInstalled
from tests import shop

REPOSITORY = Path(__file__).resolve().parents[2]
ACCEPTED = Verdict(())


def ours(rule: str, line: int = 3, severity: str = "error", hint: str | None = None) -> Diagnostic:
    return Diagnostic("c.yml", line, 5, severity, rule, f"{rule} here", hint)  # type: ignore[arg-type]


def test_an_engine_error_is_an_error_at_the_place_the_engine_names() -> None:
    verdict = Verdict((EngineDiagnostic("error", "Duplicate identity", 7, 11),))
    [error] = referee([], verdict, "c.yml")
    assert (error.file, error.line, error.col, error.severity) == ("c.yml", 7, 11, "error")
    assert error.rule == "engine"
    assert error.message == "Soda's engine refuses the contract: Duplicate identity"


def test_an_engine_error_without_a_place_is_at_the_top_of_the_file() -> None:
    verdict = Verdict((EngineDiagnostic("error", "Required variable 'V' did not get a value"),))
    [error] = referee([ours("undeclared-variable")], verdict, "c.yml")[:1]
    assert (error.line, error.col, error.rule) == (1, 1, "engine")


def test_where_the_engine_refuses_the_file_our_errors_stay_errors_beside_its_own() -> None:
    verdict = Verdict((EngineDiagnostic("error", "boom", 9, 1),))
    judged = referee([ours("size-key-type")], verdict, "c.yml")
    assert [(d.rule, d.severity) for d in judged] == [
        ("size-key-type", "error"),
        ("engine", "error"),
    ]


def test_where_the_engine_accepts_the_file_our_rule_only_warns_and_says_why() -> None:
    [judged] = referee([ours("check-placement", hint="Move it.")], ACCEPTED, "c.yml")
    assert judged.severity == "warning"
    assert judged.rule == "check-placement"
    assert judged.hint == (
        "Move it. Soda's engine accepts this contract, so this rule of ours only warns."
    )


@pytest.mark.parametrize(
    "rule", ["unknown-key", "byte-order-mark", "dataset-name", "dataset-name-character"]
)
def test_unknown_keys_reading_and_name_rules_stay_errors_when_the_engine_accepts(rule: str) -> None:
    [judged] = referee([ours(rule)], ACCEPTED, "c.yml")
    assert judged == ours(rule)


def test_engine_warnings_are_warnings_and_our_warnings_stay_warnings() -> None:
    verdict = Verdict((EngineDiagnostic("warning", "The check is not evaluated", 4, 2),))
    judged = referee([ours("unused-variable", severity="warning")], verdict, "c.yml")
    assert [(d.rule, d.severity, d.line) for d in judged] == [
        ("unused-variable", "warning", 3),
        ("engine-warning", "warning", 4),
    ]


def test_without_a_verdict_our_diagnostics_stand_as_they_are() -> None:
    assert referee([ours("size-key-type")], None, "c.yml") == [ours("size-key-type")]


def test_a_stub_and_an_unreadable_text_are_not_given_to_the_engine() -> None:
    stub = parse_contract_text("dataset: a/b\n", "s.yml", allow_stub=True)
    bomb = parse_contract_text("a: &a [*a]\n", "b.yml")
    plain = parse_contract_text("dataset: a/b\ncolumns: []\n", "p.yml")
    assert [engine_judges(p) for p in (stub, bomb, plain)] == [False, False, True]


def test_the_engine_gets_the_values_a_verification_would_give() -> None:
    document = parse_contract_text(
        "dataset: a/${var.S}/${var.T}\ncolumns: []\nvariables:\n  S: {default: d}\n  T:\n"
        "  U: {default: 3}\nsoda_runner:\n  checks_schedule:\n    variables: {T: sched, U: 4}\n",
        "c.yml",
    ).document
    assert dry_run_variables(document, {"S": "cli"}) == {"S": "cli", "T": "sched", "U": "4"}


def test_off_never_asks_the_engine_and_auto_asks_it_when_installed() -> None:
    assert engine_wanted("off") is False
    assert engine_wanted("auto") is engine_status().installed


def test_on_without_the_engine_is_a_configuration_error_that_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_version = metadata.version

    def without_soda_core(name: str) -> str:
        if name == "soda-core":
            raise metadata.PackageNotFoundError(name)
        return real_version(name)

    engine_status.cache_clear()
    monkeypatch.setattr(metadata, "version", without_soda_core)
    try:
        with pytest.raises(EngineNotInstalled) as raised:
            engine_wanted("on")
        assert engine_wanted("auto") is False
    finally:
        engine_status.cache_clear()
    assert isinstance(raised.value, ConfigError)
    assert str(raised.value) == "--engine on: Soda's engine (soda-core) is not installed"
    assert raised.value.hint is not None
    assert "pip install 'contract-reconciler[duckdb]'" in raised.value.hint


LOAD_PATH = """
import sys
from reconciler.contract import parse_contract_text
from reconciler.contract.referee import engine_wanted, refereed_all
from reconciler.contract.silence import silence
parsed = [parse_contract_text("dataset: a/b\\ncolumns: []\\nzzz: 1\\n", "c.yml")]
judged = refereed_all(parsed, {}, use_engine=engine_wanted(sys.argv[1]))
print(len(silence(judged[0].diagnostics, {}, {"c.yml": judged[0].raw_text})))
print(sorted({name.split(".")[0] for name in sys.modules if name.startswith("soda_core")}))
print(any(name.startswith("reconciler.engine") for name in sys.modules))
"""


def load(mode: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", LOAD_PATH, mode],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\n")[:3]


def test_engine_off_loads_nothing_of_the_engine() -> None:
    assert load("off") == ["1", "[]", "False"]


@shop.needs_engine
def test_engine_auto_loads_the_engine_when_it_is_installed() -> None:
    assert load("auto") == ["1", "['soda_core']", "True"]


@shop.needs_engine
def test_a_refereed_file_carries_the_engine_verdict_in_its_diagnostics() -> None:
    text = "dataset: a/b\ncolumns:\n  - name: c\n    checks:\n      - row_count:\n"
    parsed = parse_contract_text(text, "c.yml")
    assert [(d.rule, d.severity) for d in parsed.diagnostics] == [("check-placement", "error")]
    judged = refereed(parsed, {}, use_engine=True)
    assert judged.ok
    assert [(d.rule, d.severity) for d in judged.diagnostics] == [("check-placement", "warning")]
    assert judged.document is parsed.document


@shop.needs_engine
def test_a_file_the_engine_refuses_is_refused_even_where_our_rules_pass_it() -> None:
    # Scopes are the engine's to judge: our rules leave their inside open.
    text = (
        "dataset: a/b\ncolumns: []\nscopes:\n  eu:\n    name: Europe\n"
        "checks:\n  - row_count:\n      scope: us\n"
    )
    parsed = parse_contract_text(text, "c.yml")
    assert parsed.ok
    verdict = consult_engine(parsed, {})
    assert verdict is not None
    assert not verdict.ok
    judged = refereed(parsed, {}, use_engine=True)
    [error] = judged.errors
    assert (error.rule, error.line, error.col) == ("engine", 8, 14)
    assert "unknown scope 'us'" in error.message
