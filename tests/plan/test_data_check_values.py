"""What a data check's answers mean (new or already failing, the gate) and how the
renderers word them: pure functions of the engine's values, no engine needed."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from reconciler.config import load_project_config
from reconciler.data_checks import data_sources_of, judged
from reconciler.engine import CheckResult, NotChecked, RunResult, Threshold
from reconciler.errors import DataSourceConfigError
from reconciler.plan.checks import Baseline, CheckedCheck, CheckOutcome, Since
from reconciler.render.words import bounds_words, check_outcome_words, data_check_line

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
MUST_BE_0 = Threshold(level="fail", must_be=0)


def check(path: str, outcome: str, value: float | None = 0, **more: object) -> CheckResult:
    column = path.split(".")[1] if path.startswith("columns.") else None
    return CheckResult(
        path=path,
        dataset="shop/main/customers",
        column=column,
        type=path.split(".")[-1],
        qualifier=None,
        name="No missing values",
        identity=path,
        outcome=outcome,  # type: ignore[arg-type]
        value=value,
        threshold=MUST_BE_0,
        metric=f"{path.split('.')[-1]}_count",
        **more,  # type: ignore[arg-type]
    )


def run(*checks: CheckResult, errors: tuple[str, ...] = ()) -> RunResult:
    return RunResult("shop/main/customers", "shop", NOW, NOW, checks=checks, errors=errors)


EMAIL = "columns.email.checks.missing"
ID = "columns.id.checks.missing"


def test_a_failure_in_a_create_is_new_and_stops_the_gate() -> None:
    answer = judged("shop", run(check(EMAIL, "fail", 10), check(ID, "pass")), None, created=True)
    assert answer.baseline is Baseline.NONE
    assert [(c.outcome, c.since) for c in answer.checks] == [
        (CheckOutcome.FAIL, Since.NEW),
        (CheckOutcome.PASS, None),
    ]
    assert answer.failing


def test_a_failure_soda_clouds_contract_has_too_is_already_so_and_does_not_stop_the_gate() -> None:
    ours = run(check(EMAIL, "fail", 10), check(ID, "warn", 3))
    theirs = run(check(EMAIL, "fail", 10), check(ID, "pass"))
    answer = judged("shop", ours, theirs, created=False)
    assert answer.baseline is Baseline.CLOUD
    assert [c.since for c in answer.checks] == [Since.ALREADY, Since.NEW]
    assert not answer.failing  # a new warning does not stop it


def test_a_check_that_passes_under_soda_clouds_contract_and_fails_now_is_new() -> None:
    answer = judged("shop", run(check(EMAIL, "fail", 10)), run(check(EMAIL, "pass")), created=False)
    assert answer.checks[0].since is Since.NEW
    assert answer.failing


def test_a_failure_that_could_not_be_compared_counts_as_new() -> None:
    unreached = RunResult(
        "shop/main/customers", "shop", NOW, NOW, not_checked=NotChecked("budget", "too slow")
    )
    answer = judged("shop", run(check(EMAIL, "error", None)), unreached, created=False)
    assert answer.baseline is Baseline.NOT_RUN
    assert answer.checks[0].since is Since.UNKNOWN
    assert answer.failing


def test_errors_of_the_engine_are_new_unless_soda_clouds_contract_has_them_too() -> None:
    broken = run(errors=("column 'mail' does not exist",))
    assert judged("shop", broken, run(), created=False).failing
    same = judged("shop", broken, broken, created=False)
    assert (same.errors_since, same.failing) == (Since.ALREADY, False)


def test_every_check_passing_needs_no_comparison_and_a_run_not_checked_says_why() -> None:
    assert judged("shop", run(check(ID, "pass")), None, created=False).baseline is (
        Baseline.NOT_NEEDED
    )
    away = RunResult(
        "d", "shop", NOW, NOW, not_checked=NotChecked("unreachable", "could not connect")
    )
    answer = judged("shop", away, None, created=False)
    assert answer.not_checked is not None
    assert (answer.not_checked.cause.value, answer.not_checked.reason) == (
        "unreachable",
        "could not connect",
    )
    assert data_check_line(answer) == "not checked: could not connect"
    assert not answer.failing


def words(**fields: object) -> str:
    base: dict[str, object] = {
        "path": EMAIL,
        "column": "email",
        "type": "missing",
        "name": "No missing values",
        "outcome": CheckOutcome.FAIL,
        "metric": "missing_count",
        "value": 10,
        "threshold": {"level": "fail", "must_be": 0},
        "diagnostics": {"missing_count": 10, "missing_percent": 10.0},
        "since": Since.NEW,
    }
    return check_outcome_words(CheckedCheck.model_validate({**base, **fields}))


def test_a_failing_check_is_worded_with_its_value_and_what_it_had_to_be() -> None:
    assert words() == (
        "would fail: column email: missing_count 10 (10.0%), must be 0 (new with this change)"
    )
    assert words(
        metric="missing_percent",
        value=12.5,
        qualifier="share",
        threshold={"level": "fail", "must_be_less_than": 5},
        since=Since.ALREADY,
    ) == (
        "would fail: column email: missing (share): missing_percent 12.5% (10 rows), "
        "must be < 5 (already so under the contract Soda Cloud has)"
    )
    assert words(
        path="checks.row_count",
        column=None,
        type="row_count",
        metric="row_count",
        value=100,
        outcome=CheckOutcome.WARN,
        threshold=None,
        warn_threshold={"level": "warn", "must_be_greater_than_or_equal": 1000},
        diagnostics={},
    ) == ("would warn: row_count 100, must be >= 1000 (new with this change)")
    assert words(outcome=CheckOutcome.ERROR, value=None) == (
        "could not be evaluated: column email (new with this change)"
    )
    assert words(type="aggregate", metric="avg", value=1.5, diagnostics={}, since=None) == (
        "would fail: column email: aggregate: avg 1.5, must be 0"
    )


def test_bounds_read_as_comparisons() -> None:
    from reconciler.plan.checks import Bounds

    assert bounds_words(Bounds(level="fail", must_be_greater_than=2, must_be_less_than=5)) == (
        "must be > 2 and < 5"
    )
    assert bounds_words(Bounds(level="fail", must_not_be=3)) == "must not be 3"
    assert bounds_words(None) == ""


def test_data_sources_are_read_as_written_relative_to_reconciler_yml_and_named_once(
    tmp_path: Path,
) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "pg.yml").write_text(
        "type: postgres\nname: pg\nconnection:\n  host: db\n  password: ${env.PG_PASSWORD}\n"
    )
    config = tmp_path / "reconciler.yml"
    config.write_text(
        "data_sources:\n  - sources/pg.yml\n"
        "  - {type: duckdb, name: shop, connection: {database: shop.duckdb}}\n"
    )
    sources = data_sources_of(load_project_config(config, environ={"PG_PASSWORD": "hunter2"}))
    assert sorted(sources) == ["pg", "shop"]
    # soda-core resolves ${env.NAME} itself: the engine module then knows it is a secret.
    assert "${env.PG_PASSWORD}" in sources["pg"].text
    assert sources["pg"].env_names == ("PG_PASSWORD",)

    config.write_text(
        "data_sources:\n  - sources/pg.yml\n  - {type: duckdb, name: pg, connection: {}}\n"
    )
    with pytest.raises(DataSourceConfigError) as raised:
        data_sources_of(load_project_config(config))
    assert str(raised.value) == (
        f"{config}: data_sources[1]: a data source named 'pg' is listed twice"
    )
    config.write_text("data_sources:\n  - sources/missing.yml\n")
    with pytest.raises(DataSourceConfigError, match=r"data_sources\[0\]: .*cannot read"):
        data_sources_of(load_project_config(config))
