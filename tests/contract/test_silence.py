"""Per-rule severity (reconciler.yml `rules:`) and `# reconciler: ignore` comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import load_project_config
from reconciler.contract import RULES, Diagnostic, parse_contract_text
from reconciler.contract.silence import apply_ignores, apply_settings, inline_ignores, silence
from reconciler.errors import ConfigError

SIZE_ON_INTEGER = (
    "dataset: a/b\ncolumns:\n  - name: c\n    data_type: integer\n"
    "    character_maximum_length: 3{comment}\n"
)


def diagnostic(rule: str, line: int, severity: str = "error", file: str = "c.yml") -> Diagnostic:
    return Diagnostic(file, line, 1, severity, rule, "m")  # type: ignore[arg-type]


def rules_left(text: str) -> list[tuple[int, str, str]]:
    parsed = parse_contract_text(text, "c.yml")
    left = apply_ignores(parsed.diagnostics, inline_ignores(text), "c.yml")
    return [(d.line, d.rule, d.severity) for d in left]


# --- severity settings ------------------------------------------------------------------


def test_a_setting_changes_the_severity_of_its_rule_only() -> None:
    items = [diagnostic("size-key-type", 3), diagnostic("unknown-key", 4)]
    changed = apply_settings(items, {"size-key-type": "warning"})
    assert [(d.rule, d.severity) for d in changed] == [
        ("size-key-type", "warning"),
        ("unknown-key", "error"),
    ]


def test_off_drops_a_rule_and_error_makes_a_warning_rule_block() -> None:
    items = [diagnostic("unused-variable", 3, "warning"), diagnostic("path-mismatch", 1, "warning")]
    changed = apply_settings(items, {"unused-variable": "error", "path-mismatch": "off"})
    assert [(d.rule, d.severity) for d in changed] == [("unused-variable", "error")]


def test_no_setting_touches_an_error_of_the_engine() -> None:
    items = [diagnostic("engine", 2), diagnostic("engine-warning", 3, "warning")]
    changed = apply_settings(items, {"engine": "off", "engine-warning": "off"})
    assert [d.rule for d in changed] == ["engine"]


# --- inline ignores -------------------------------------------------------------------------


def test_an_ignore_at_the_end_of_the_line_silences_that_rule_on_that_line() -> None:
    plain = SIZE_ON_INTEGER.format(comment="")
    assert rules_left(plain) == [(5, "size-key-type", "error")]
    assert rules_left(SIZE_ON_INTEGER.format(comment="  # reconciler: ignore size-key-type")) == []


def test_an_ignore_alone_on_its_line_silences_the_next_line_with_content() -> None:
    text = (
        "dataset: a/b\ncolumns:\n  - name: c\n    data_type: integer\n"
        "    # reconciler: ignore size-key-type -- the warehouse pads these codes\n"
        "    # (a second comment line)\n\n"
        "    character_maximum_length: 3\n"
    )
    assert rules_left(text) == []


def test_an_ignore_names_several_rules_and_silences_only_those() -> None:
    text = (
        "dataset: a/b\ncolumns:\n  - name: c\n    data_type: integer\n"
        "    character_maximum_length: 3 # reconciler: ignore unused-variable, size-key-type\n"
        "    descripton: x # reconciler: ignore size-key-type\n"
    )
    assert rules_left(text) == [(6, "unknown-key", "error")]


def test_an_ignore_on_another_line_silences_nothing() -> None:
    text = SIZE_ON_INTEGER.format(comment="") + "# reconciler: ignore size-key-type\n"
    assert rules_left(text) == [(5, "size-key-type", "error")]


def test_text_inside_a_value_is_no_comment() -> None:
    text = (
        "dataset: a/b\ncolumns:\n  - name: c\n    data_type: integer\n"
        "    character_maximum_length: 3\n"
        "    description: 'see # reconciler: ignore size-key-type'\n"
        "checks:\n  - failed_rows:\n      query: |\n"
        "        # reconciler: ignore size-key-type\n        SELECT 1\n"
    )
    assert [ignore.rules for ignore in inline_ignores(text)] == []
    assert rules_left(text) == [(5, "size-key-type", "error")]


def test_an_ignore_of_an_unknown_rule_warns_with_the_closest_rule() -> None:
    text = SIZE_ON_INTEGER.format(comment="  # reconciler: ignore sise-key-type")
    left = apply_ignores(
        parse_contract_text(text, "c.yml").diagnostics, inline_ignores(text), "c.yml"
    )
    assert [(d.line, d.rule, d.severity) for d in left] == [
        (5, "size-key-type", "error"),
        (5, "ignore-comment", "warning"),
    ]
    assert left[1].col == 34
    assert left[1].message == (
        "the ignore comment cannot be used: unknown rule id 'sise-key-type'; "
        "did you mean 'size-key-type'?"
    )


def test_an_error_of_the_engine_cannot_be_ignored() -> None:
    text = "dataset: a/b\ncolumns: []  # reconciler: ignore engine\n"
    left = apply_ignores([diagnostic("engine", 2)], inline_ignores(text), "c.yml")
    assert [(d.rule, d.severity) for d in left] == [
        ("engine", "error"),
        ("ignore-comment", "warning"),
    ]
    assert "cannot be silenced" in left[1].message


def test_an_ignore_without_rule_ids_says_so() -> None:
    [ignore] = inline_ignores("dataset: a/b # reconciler: ignore\ncolumns: []\n")
    assert ignore.problems == ("it names no rule id",)


def test_silence_applies_each_file_own_comments_and_the_settings_to_a_folder() -> None:
    texts = {
        "a.yml": "dataset: a/b  # reconciler: ignore path-mismatch\ncolumns: []\n",
        "b.yml": "dataset: a/c\ncolumns: []\n",
    }
    items = [
        diagnostic("path-mismatch", 1, "warning", "a.yml"),
        diagnostic("path-mismatch", 1, "warning", "b.yml"),
        diagnostic("unused-variable", 2, "warning", "b.yml"),
    ]
    left = silence(items, {"unused-variable": "off"}, texts)
    assert [(d.file, d.rule) for d in left] == [("b.yml", "path-mismatch")]


# --- reconciler.yml ------------------------------------------------------------------------


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "reconciler.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rules_are_read_from_the_configuration(tmp_path: Path) -> None:
    path = config(tmp_path, "rules:\n  size-key-type: warning\n  unused-variable: off\n")
    assert load_project_config(path, environ={}).rules == {
        "size-key-type": "warning",
        "unused-variable": "off",
    }
    assert load_project_config(config(tmp_path, "contracts: c\n"), environ={}).rules == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rules:\n  sise-key-type: warning\n",
            "setting 'rules': unknown rule id 'sise-key-type'; did you mean 'size-key-type'?",
        ),
        (
            "rules:\n  engine: warning\n",
            "setting 'rules': 'engine' (an error of Soda's engine) cannot be silenced: "
            "we are never more lenient than the engine",
        ),
        (
            "rules:\n  size-key-type: warn\n",
            "setting 'rules.size-key-type': Input should be 'error', 'warning' or 'off'",
        ),
    ],
)
def test_a_rule_setting_that_cannot_be_used_is_refused(
    tmp_path: Path, text: str, message: str
) -> None:
    path = config(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_project_config(path, environ={})
    assert str(raised.value) == f"{path}: {message}"


def test_every_rule_id_is_documented_with_its_meaning() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "validate.md").read_text("utf-8")
    assert [rule for rule in RULES if f"| `{rule}` |" not in text] == []
