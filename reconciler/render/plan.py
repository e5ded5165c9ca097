"""Plans as text (terminal), markdown (a pull-request comment) and JSON (the saved plan).

Pure functions of a :class:`~reconciler.plan.model.Plan`: they never compute what to do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from reconciler.plan.checks import CheckOutcome, DataCheck
from reconciler.plan.file import plan_document, plan_file_text
from reconciler.plan.model import FAILING_CHECKS, DatasetPlan, Plan, Summary
from reconciler.plan.vocabulary import Action, Change, ChangeClass
from reconciler.render.escape import (
    bounded,
    code,
    code_block,
    html_code,
    json_text,
    markdown,
    printable,
)
from reconciler.render.fit import (
    BULLET_LIMIT,
    GITHUB_TEXT_LIMIT,
    LIST_SHOWN,
    REPORT_LIMIT,
    capped,
    fit_sections,
)
from reconciler.render.split import section_room, split_sections
from reconciler.render.style import Style, ansi, plain
from reconciler.render.words import (
    change_words,
    check_outcome_words,
    data_check_line,
    drift_words,
    engine_error_words,
    note_words,
    verify_only_words,
    warning_words,
)

GITHUB_COMMENT_LIMIT = GITHUB_TEXT_LIMIT

SYMBOL = {
    Action.CREATE: "+",
    Action.GENERATE_SKELETON: "*",
    Action.PUBLISH: "~",
    Action.ADOPT: "=",
    Action.NOOP: " ",
}
ACTION_WORDS = {
    Action.CREATE: "create",
    Action.GENERATE_SKELETON: "generate skeleton",
    Action.PUBLISH: "publish",
    Action.ADOPT: "adopt",
    Action.NOOP: "verify only",
}

UNLISTED = (
    "Soda Cloud does not list this dataset (its Reporting API): apply will meet 404 unless "
    "the dataset was onboarded since that list was last refreshed"
)


def summary_line(summary: Summary) -> str:
    parts = [f"{summary.create} to create"]
    if summary.skeleton:
        parts.append(f"{summary.skeleton} skeleton{'s' if summary.skeleton != 1 else ''}")
    publish = f"{summary.publish} to publish"
    if summary.breaking:
        publish += f" ({summary.breaking} breaking)"
    parts.append(publish)
    parts.append(f"{summary.verify} to verify")
    if summary.adopt:
        parts.append(f"{summary.adopt} to adopt")
    parts.append(f"{summary.unchanged} unchanged")
    if summary.drift:
        parts.append(f"{summary.drift} drifted")
    if summary.unmanaged:
        parts.append(f"{summary.unmanaged} unmanaged")
    if summary.orphaned:
        parts.append(f"{summary.orphaned} orphaned")
    if summary.unlisted:
        parts.append(
            f"{summary.unlisted} dataset{'s' if summary.unlisted != 1 else ''} unknown to Soda Cloud"
        )
    if summary.data_checked:
        failing = f" ({summary.failing} would fail)" if summary.failing else ""
        parts.append(f"{summary.data_checked} checked on today's data{failing}")
    if summary.not_checked:
        parts.append(f"{summary.not_checked} not checked")
    return "Plan: " + ", ".join(parts)


def data_check_lines(check: DataCheck) -> tuple[str, list[str]]:
    """A data check's head line, and a line for each check that does not pass and each
    error of the engine (plain text: each renderer escapes it)."""
    details = [check_outcome_words(c) for c in check.checks if c.outcome is not CheckOutcome.PASS]
    details += [engine_error_words(check, error) for error in check.errors]
    return data_check_line(check), details


def _role(entry: DatasetPlan) -> str:
    if entry.change_class is ChangeClass.BREAKING or entry.drift is not None:
        return "breaking"
    return {
        Action.CREATE: "create",
        Action.GENERATE_SKELETON: "skeleton",
        Action.PUBLISH: "publish",
        Action.ADOPT: "adopt",
    }.get(entry.action, "dim")


def _tags(entry: DatasetPlan) -> list[str]:
    tags = []
    if entry.change_class is not None and entry.action in (Action.CREATE, Action.PUBLISH):
        tags.append(entry.change_class.value)
    if entry.verify:
        tags.append("verify")
    if entry.drift is not None:
        tags.append("DRIFT")
    if entry.action is Action.ADOPT:
        tags.append("record only")
    if entry.dataset_listed is False:
        tags.append("UNKNOWN DATASET")
    if entry.data_check is not None and entry.data_check.failing:
        tags.append("FAILS ON DATA")
    return tags


def render_text(plan: Plan, *, color: bool = False, show_diff: bool = False) -> str:
    """The terminal's plan. Every name, description and diff line is passed through
    :func:`printable`: they come from files and Soda Cloud."""
    style: Style = ansi if color else plain
    lines: list[str] = []
    shown = [d for d in plan.datasets if d.changed]
    names = {d.dataset: printable(d.dataset) for d in shown}
    width = max((len(name) for name in names.values()), default=0)
    for entry in shown:
        words = ACTION_WORDS[entry.action]
        head = f"{SYMBOL[entry.action]} {words:<17} {names[entry.dataset]:<{width}}"
        tags = _tags(entry)
        head = head.rstrip() if not tags else head
        lines.append(style(head, _role(entry)) + (f"  [{', '.join(tags)}]" if tags else ""))
        for change in entry.changes:
            lines.append(f"      {printable(change_words(change))}")
        if entry.check_paths:
            paths = ", ".join(entry.check_paths)
            lines.append(
                f"      {printable(f'{verify_only_words(len(entry.check_paths))} {paths}')}"
            )
        if entry.drift is not None:
            lines.append(
                style(
                    f"      ! drift: {printable(drift_words(entry.drift))}; publishing overwrites it",
                    "drift",
                )
            )
        if entry.dataset_listed is False:
            lines.append(style(f"      ! {UNLISTED}", "drift"))
        if entry.data_check is not None:
            head, details = data_check_lines(entry.data_check)
            role = "drift" if entry.data_check.failing else "dim"
            lines.append(style(f"      data: {printable(head)}", role))
            lines.extend(f"        {printable(line)}" for line in details)
        for note in entry.notes:
            lines.append(f"      note: {printable(note_words(note))}")
        if show_diff and entry.diff:
            lines.extend(
                "      " + printable(line, keep="\t")
                for line in entry.diff.rstrip("\n").splitlines()
            )
    if plan.unmanaged:
        if lines:
            lines.append("")
        lines.append(
            "Unmanaged (in Soda Cloud with no file; never deleted; `reconciler import` brings them into git):"
        )
        lines.extend(f"  ? {printable(u.dataset)}" for u in plan.unmanaged)
    if plan.orphaned:
        if lines:
            lines.append("")
        lines.append(
            "Orphaned (in the state, file deleted; never deleted in Soda Cloud; "
            "`reconciler state forget DATASET` stops tracking):"
        )
        lines.extend(
            f"  - {printable(o.dataset)}" + ("" if o.in_cloud else " (no longer in Soda Cloud)")
            for o in plan.orphaned
        )
    if plan.warnings:
        if lines:
            lines.append("")
        lines.extend(f"warning: {printable(warning_words(w))}" for w in plan.warnings)
    if lines:
        lines.append("")
    summary = plan.summary()
    lines.append(style(summary_line(summary), "bold"))
    if not summary.has_changes:
        lines.append("No changes: Soda Cloud matches the contracts folder.")
    if plan.environment is not None:
        lines[:0] = [style(_environment_line(plan), "bold"), ""]
    return "\n".join(lines) + "\n"


def render(plan: Plan, output_format: str, *, color: bool = False, show_diff: bool = False) -> str:
    """The plan in ``text``, ``markdown`` or ``json``."""
    if output_format == "json":
        return render_json(plan)
    if output_format == "markdown":
        return render_markdown(plan)
    return render_text(plan, color=color, show_diff=show_diff)


def saved_line(path: Path) -> str:
    """After a text plan saved with ``--out``: where it went and how to apply it."""
    return printable(f"Saved the plan to {path}: apply it with `reconciler apply {path}`.")


def failing_line(classes: Iterable[str]) -> str:
    """Why ``plan --fail-on`` fails the check."""
    present = set(classes)
    reasons = []
    changes = sorted(present - {FAILING_CHECKS})
    if changes:
        reasons.append(f"the plan holds {', '.join(changes)} changes")
    if FAILING_CHECKS in present:
        reasons.append("a change makes checks fail on today's data")
    return f"Failing: {' and '.join(reasons)} (--fail-on)."


def render_json(plan: Plan) -> str:
    """The saved plan's format, with its digest (``docs/plan-format.md``), hidden characters
    escaped: the file ``plan --out`` writes."""
    return plan_file_text(plan)


TITLE = "### Soda contracts plan"


def render_markdown(plan: Plan, *, limit: int = REPORT_LIMIT) -> str:
    """A pull-request comment: summary table, warnings, then one ``<details>`` per dataset.

    Never longer than ``limit`` characters (by default GitHub's limit less the room the
    workflow needs for its marker and footer): when it must cut, the summary and the
    warnings stay and the comment says how many datasets it left out. To show every dataset
    however long the plan, :func:`render_markdown_parts` spreads it over several comments."""
    head = f"{_title(plan)}\n\n" + _markdown_head(plan)
    return fit_sections(head, _markdown_sections(plan), limit=limit, left_out=_left_out_note)


def render_markdown_parts(plan: Plan, *, limit: int = REPORT_LIMIT) -> tuple[str, ...]:
    """The plan as pull-request comments of at most ``limit`` characters each that together
    hold every dataset: the summary and warnings in the first, then each dataset's
    ``<details>`` whole, in order, numbered "part 1 of 3". One comment, the same as
    :func:`render_markdown`'s, when the plan fits in one. A dataset whose diff alone
    outgrows a comment shows as much of the diff as fits, and says how much is left."""
    title = _part_title(_title(plan))
    room = section_room(limit, title, _part_onward)
    sections = [_markdown_dataset(entry, room) for entry in plan.datasets if entry.changed]
    sections += _markdown_reports(plan, room)
    return split_sections(
        _markdown_head(plan), sections, limit=limit, title=title, onward=_part_onward
    )


def _title(plan: Plan) -> str:
    return TITLE if plan.environment is None else f"{TITLE}: {code(plan.environment)}"


def _part_title(title: str) -> Callable[[int, int], str]:
    def numbered(number: int, total: int) -> str:
        if total == 1:
            return f"{title}\n\n"
        return f"{title} (part {number} of {total})\n\n"

    return numbered


def _part_onward(number: int, total: int) -> str:
    return f"\n_Continued in the next comment: part {number + 1} of {total}._\n"


def _markdown_head(plan: Plan) -> str:
    """The environment (if any), the summary table and the warnings, under the title."""
    summary = plan.summary()
    head = [_environment_line(plan, markdown_values=True), ""] if plan.environment else []
    head += [
        f"**{summary_line(summary)}**",
        "",
        "| action | datasets |",
        "| --- | ---: |",
        f"| create | {summary.create} |",
        f"| generate skeleton | {summary.skeleton} |",
        f"| publish | {summary.publish} |",
        f"| of which breaking | {summary.breaking} |",
        f"| verify | {summary.verify} |",
        f"| adopt (record only) | {summary.adopt} |",
        f"| unchanged | {summary.unchanged} |",
        f"| drifted in Soda Cloud | {summary.drift} |",
        f"| unmanaged | {summary.unmanaged} |",
        f"| orphaned | {summary.orphaned} |",
    ]
    if summary.unlisted:
        head.append(f"| unknown to Soda Cloud | {summary.unlisted} |")
    if summary.data_checked or summary.not_checked:
        head.append(f"| checked on today's data | {summary.data_checked} |")
        head.append(f"| of which a change makes fail | {summary.failing} |")
        head.append(f"| not checked | {summary.not_checked} |")
    head += [
        "",
    ]
    head.extend(_markdown_warnings(plan))
    if not summary.has_changes:
        head.append("No changes: Soda Cloud matches the contracts folder.")
        head.append("")
    # A blank line ends the last quote block: a <details> right after it would belong to it.
    return "\n".join(head) + "\n"


def _markdown_sections(plan: Plan) -> list[str]:
    sections = [_markdown_dataset(entry) for entry in plan.datasets if entry.changed]
    return sections + _markdown_reports(plan)


def _environment_line(plan: Plan, *, markdown_values: bool = False) -> str:
    """Which environment a plan is for, its Soda Cloud and its state."""
    if markdown_values:
        return (
            f"Environment {code(plan.environment or '')}: Soda Cloud {code(plan.cloud_host)}, "
            f"state {code(plan.state.path)}"
        )
    return printable(
        f"Environment {plan.environment}: Soda Cloud {plan.cloud_host}, state {plan.state.path}"
    )


def render_plans(
    plans: Sequence[Plan], output_format: str, *, color: bool = False, show_diff: bool = False
) -> str:
    """One plan as :func:`render` makes it; several (one per environment) as one text, one
    markdown comment or one JSON object."""
    if len(plans) == 1:
        return render(plans[0], output_format, color=color, show_diff=show_diff)
    if output_format == "json":
        documents = {plan.environment or "": plan_document(plan) for plan in plans}
        return (
            json_text(json.dumps({"environments": documents}, indent=2, ensure_ascii=False)) + "\n"
        )
    if output_format == "markdown":
        return render_markdown_environments(plans)
    return "\n".join(render_text(plan, color=color, show_diff=show_diff) for plan in plans)


def render_plans_parts(plans: Sequence[Plan], *, limit: int = REPORT_LIMIT) -> tuple[str, ...]:
    """The comments of ``plan --split`` that together hold every dataset: one plan's parts
    (:func:`render_markdown_parts`); several plans' one comment when it holds every dataset
    of each, else that comment (their summaries and warnings, the datasets that fit) followed
    by each environment's own parts, under its name."""
    if len(plans) == 1:
        return render_markdown_parts(plans[0], limit=limit)
    whole = render_markdown_environments(plans, limit=limit)
    if _holds_every_section(plans, limit):
        return (whole,)
    return (whole, *(part for plan in plans for part in render_markdown_parts(plan, limit=limit)))


def _holds_every_section(plans: Sequence[Plan], limit: int) -> bool:
    title, heads, sections = _environment_blocks(plans)
    needed = len(title) + sum(len(head) for head in heads)
    return needed + sum(len(part) for parts in sections for part in parts) <= limit


def render_markdown_environments(plans: Sequence[Plan], *, limit: int = REPORT_LIMIT) -> str:
    """One pull-request comment for several environments: a table of their summaries, then a
    section per environment (its summary, warnings and datasets), fitted to ``limit`` as a
    whole. Every environment keeps its summary and warnings; where datasets must be left
    out, the room is shared so that an environment with few changes keeps all of them and
    the others say how many they left out."""
    title, heads, sections = _environment_blocks(plans)
    room = limit - len(title) - sum(len(head) for head in heads)
    needs = [sum(len(part) for part in parts) for parts in sections]
    shares = _shares(max(0, room), needs)
    blocks = [
        fit_sections(head, parts, limit=len(head) + share, left_out=_left_out_note)
        for head, parts, share in zip(heads, sections, shares, strict=True)
    ]
    return fit_sections(title, blocks, limit=limit, left_out=_environments_left_out)


def _environment_blocks(plans: Sequence[Plan]) -> tuple[str, list[str], list[list[str]]]:
    """The comment's title and table, each environment's head, each one's sections."""
    rows = [
        f"{TITLE}: {len(plans)} environments",
        "",
        "| environment | create | skeletons | publish | breaking | verify | adopt | drifted |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for plan in plans:
        s = plan.summary()
        rows.append(
            f"| {code(plan.environment or '', in_table=True)} | {s.create} | {s.skeleton} | "
            f"{s.publish} | {s.breaking} | {s.verify} | {s.adopt} | {s.drift} |"
        )
    title = "\n".join([*rows, ""]) + "\n"
    heads = [f"#### {code(plan.environment or '')}\n\n" + _markdown_head(plan) for plan in plans]
    return title, heads, [_markdown_sections(plan) for plan in plans]


def _shares(room: int, needs: Sequence[int]) -> list[int]:
    """``room`` shared out by need: the smallest needs are met first, the rest split evenly
    (each environment's datasets then fill what it gets)."""
    given = [0] * len(needs)
    left = room
    order = sorted(range(len(needs)), key=lambda i: needs[i])
    for rank, index in enumerate(order):
        share = left // (len(needs) - rank)
        given[index] = min(needs[index], share)
        left -= given[index]
    return given


def _environments_left_out(count: int) -> str:
    return (
        f"\n_{count} more environment{'s' if count != 1 else ''} left out: a comment holds at "
        f"most {GITHUB_COMMENT_LIMIT:,} characters. Plan each with `reconciler plan --env NAME`._\n"
    )


def _left_out_note(count: int) -> str:
    return (
        f"\n_{count} more section{'s' if count != 1 else ''} left out: a comment holds at most "
        f"{GITHUB_COMMENT_LIMIT:,} characters. Run `reconciler plan --diff` or read the job log for all of it._\n"
    )


def _markdown_warnings(plan: Plan) -> list[str]:
    out: list[str] = []
    breaking = [
        d
        for d in plan.datasets
        if d.change_class is ChangeClass.BREAKING and d.action in (Action.CREATE, Action.PUBLISH)
    ]
    drifted = [d for d in plan.datasets if d.drift is not None]
    unlisted = [d for d in plan.datasets if d.dataset_listed is False]
    out += _markdown_failing(plan.failing_datasets())
    if breaking:
        out += [
            "> [!WARNING]",
            f"> **{len(breaking)} breaking change{'s' if len(breaking) != 1 else ''}**: consumers of these datasets may be affected.",
            ">",
        ]
        out += capped(
            (
                f"> - {code(d.dataset)}: "
                + bounded(
                    "; ".join(
                        change_words(c) for c in d.changes if c.change_class is ChangeClass.BREAKING
                    )
                    or "breaking",
                    BULLET_LIMIT,
                    markdown,
                )
                for d in breaking
            ),
            len(breaking),
            prefix="> ",
        )
        out.append("")
    if drifted:
        out += [
            "> [!CAUTION]",
            f"> **{len(drifted)} contract{'s' if len(drifted) != 1 else ''} changed in Soda Cloud outside git**: apply will overwrite these changes.",
            ">",
        ]
        out += capped(
            (
                f"> - {code(d.dataset)}: {bounded(drift_words(d.drift), BULLET_LIMIT, markdown)}"
                for d in drifted
                if d.drift is not None
            ),
            len(drifted),
            prefix="> ",
        )
        out.append("")
    if unlisted:
        out += [
            "> [!WARNING]",
            f"> **{len(unlisted)} dataset{'s' if len(unlisted) != 1 else ''} unknown to Soda Cloud**: "
            "its Reporting API does not list them, so creating their contracts will fail (404) "
            "until they are onboarded.",
            ">",
        ]
        out += capped((f"> - {code(d.dataset)}" for d in unlisted), len(unlisted), prefix="> ")
        out.append("")
    if plan.warnings:
        out += ["> [!NOTE]"]
        out += capped(
            (f"> - {bounded(warning_words(w), BULLET_LIMIT, markdown)}" for w in plan.warnings),
            len(plan.warnings),
            prefix="> ",
        )
        out.append("")
    return out


def _markdown_failing(failing: tuple[DatasetPlan, ...]) -> list[str]:
    if not failing:
        return []
    out = [
        "> [!CAUTION]",
        f"> **{len(failing)} change{'s' if len(failing) != 1 else ''} would make checks fail "
        "on today's data**: Soda's engine ran the changed contracts on the data (`--check-data`).",
        ">",
    ]
    lines = [
        f"> - {code(d.dataset)}: {bounded(check_outcome_words(c), BULLET_LIMIT, markdown)}"
        for d in failing
        if d.data_check is not None
        for c in d.data_check.new_failures
    ]
    lines += [
        f"> - {code(d.dataset)}: {bounded(engine_error_words(d.data_check, e), BULLET_LIMIT, markdown)}"
        for d in failing
        if d.data_check is not None and d.data_check.failing and not d.data_check.new_failures
        for e in d.data_check.errors
    ]
    out += capped(iter(lines), len(lines), prefix="> ")
    out.append("")
    return out


def _markdown_dataset(entry: DatasetPlan, room: int | None = None) -> str:
    """One dataset's ``<details>``; with ``room``, at most that many characters: the diff is
    cut at a line (saying how many lines are left out), then the list of changes capped."""
    lines = _diff_lines(entry)
    whole_section = _dataset_section(entry, entry.changes, lines, len(lines))
    if room is None or len(whole_section) <= room:
        return whole_section
    low, high = 0, len(lines)
    while low < high:  # the most diff lines that fit
        middle = (low + high + 1) // 2
        if len(_dataset_section(entry, entry.changes, lines[:middle], len(lines))) <= room:
            low = middle
        else:
            high = middle - 1
    section = _dataset_section(entry, entry.changes, lines[:low], len(lines))
    if len(section) <= room:
        return section
    shown = entry.changes[:LIST_SHOWN]
    return _dataset_section(entry, shown, [], len(lines), more_changes=len(entry.changes))


def _diff_lines(entry: DatasetPlan) -> list[str]:
    return entry.diff.rstrip("\n").splitlines() if entry.diff else []


def _dataset_section(
    entry: DatasetPlan,
    changes: tuple[Change, ...],
    diff_lines: list[str],
    diff_total: int,
    *,
    more_changes: int = 0,
) -> str:
    tags = " · ".join(_tags(entry))
    title = f"{SYMBOL[entry.action].strip() or '·'} {ACTION_WORDS[entry.action]} {html_code(entry.dataset)}"
    if tags:
        title += f" · {tags}"
    body = [f"<details><summary>{title}</summary>", ""]
    body.extend(f"- {markdown(change_words(c))}" for c in changes)
    if more_changes > len(changes):
        body.append(f"- ... and {more_changes - len(changes)} more changes")
    if entry.check_paths:
        paths = ", ".join(code(path) for path in entry.check_paths)
        body.append(f"- {verify_only_words(len(entry.check_paths))} {paths}")
    if entry.drift is not None:
        body.append(f"- **drift**: {markdown(drift_words(entry.drift))}; publishing overwrites it")
    if entry.dataset_listed is False:
        body.append(f"- **unknown dataset**: {markdown(UNLISTED)}")
    if entry.data_check is not None:
        head, details = data_check_lines(entry.data_check)
        body.append(f"- **data**: {markdown(head)}")
        body.extend(f"  - {bounded(line, BULLET_LIMIT, markdown)}" for line in details)
    body.extend(f"- note: {markdown(note_words(n))}" for n in entry.notes)
    if diff_lines:
        body += ["", *code_block("\n".join(diff_lines), "diff")]
    if len(diff_lines) < diff_total:
        left = diff_total - len(diff_lines)
        body += [
            "",
            f"_{'The diff is cut here: ' if diff_lines else 'The diff is left out: '}{left:,} "
            f"more line{'s' if left != 1 else ''}. `reconciler plan --diff` shows all of it._",
        ]
    body += ["", "</details>", ""]
    return "\n".join(body) + "\n"


def _markdown_reports(plan: Plan, room: int | None = None) -> list[str]:
    """The unmanaged contracts and the orphaned records, each a ``<details>``; with
    ``room``, a long list is spread over several, each of at most that many characters."""
    unmanaged = [f"- {code(u.dataset)}" for u in plan.unmanaged]
    orphaned = [f"- {code(o.dataset)}" for o in plan.orphaned]
    return [
        *_report_sections(
            "Unmanaged contracts (in Soda Cloud, no file; never deleted)",
            unmanaged,
            "Bring them into git with `reconciler import`.",
            room,
        ),
        *_report_sections(
            "Orphaned records (file deleted; never deleted in Soda Cloud)",
            orphaned,
            "Stop tracking with `reconciler state forget DATASET`.",
            room,
        ),
    ]


def _report_sections(summary: str, items: list[str], advice: str, room: int | None) -> list[str]:
    if not items:
        return []
    whole_section = _report_section(summary, items, advice)
    if room is None or len(whole_section) <= room:
        return [whole_section]
    # Room for the longest range note ("1,000-2,000 of 9,999"), so every chunk fits.
    widest = _report_section(
        f"{summary} · {len(items):,}-{len(items):,} of {len(items):,}", [], advice
    )
    chunks: list[list[str]] = [[]]
    size = len(widest)
    for item in items:
        if chunks[-1] and size + len(item) + 1 > room:
            chunks.append([])
            size = len(widest)
        chunks[-1].append(item)
        size += len(item) + 1
    sections, first = [], 1
    for chunk in chunks:
        last = first + len(chunk) - 1
        ranged = f"{summary} · {first:,}-{last:,} of {len(items):,}"
        sections.append(_report_section(ranged, chunk, advice))
        first = last + 1
    return sections


def _report_section(summary: str, items: list[str], advice: str) -> str:
    lines = [f"<details><summary>{summary}</summary>", "", *items]
    lines += ["", advice, "", "</details>", ""]
    return "\n".join(lines) + "\n"
