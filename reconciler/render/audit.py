"""Audit reports as text (a job log), markdown (the body of a GitHub issue) and JSON.

Pure functions of an :class:`~reconciler.audit.AuditReport`. The summary reads like a data
diff: counts as ``[git, cloud]`` pairs, then the differences per dataset. Anything that was
not compared is printed as "not compared" with the reason, never as a zero.
"""

from __future__ import annotations

from reconciler.audit import AuditReport, Category, Counts, DatasetAudit, NotCompared
from reconciler.render.escape import (
    bounded,
    code,
    code_block,
    html_code,
    json_text,
    markdown,
    own_markdown,
    printable,
)
from reconciler.render.fit import (
    BULLET_LIMIT,
    GITHUB_TEXT_LIMIT,
    REPORT_LIMIT,
    capped,
    fit_sections,
)
from reconciler.render.style import Style, ansi, plain
from reconciler.render.words import (
    audit_detail,
    audit_remedy,
    change_words,
    incident_title,
    not_compared_words,
    warning_words,
)

GITHUB_ISSUE_LIMIT = GITHUB_TEXT_LIMIT
LIST_LIMIT = 200


HEADINGS = {
    Category.DRIFTED: "Drifted: changed in Soda Cloud outside git since the last apply",
    Category.MISSING: "Missing: recorded as applied, no longer in Soda Cloud",
    Category.PENDING: "Pending: git is ahead of Soda Cloud (not applied yet)",
    Category.UNMANAGED: "Unmanaged: in Soda Cloud, no file in git",
    Category.ORPHANED: "Orphaned (for information): in the state, file deleted",
}
SYMBOL = {
    Category.DRIFTED: "!",
    Category.MISSING: "-",
    Category.PENDING: "~",
    Category.UNMANAGED: "?",
    Category.ORPHANED: "x",
    Category.IN_SYNC: " ",
}
ROLE = {
    Category.DRIFTED: "drift",
    Category.MISSING: "drift",
    Category.PENDING: "publish",
    Category.UNMANAGED: "skeleton",
    Category.ORPHANED: "dim",
    Category.IN_SYNC: "dim",
}
STATUS_WORDS = {
    "in-sync": "in sync",
    "pending": "pending (git ahead of Soda Cloud)",
    "drift": "drift (Soda Cloud changed outside git)",
    "pending-and-drift": "pending and drift",
}
NOT_COMPARED = "not compared"


def status_line(report: AuditReport) -> str:
    return f"Status: {STATUS_WORDS[report.status]} (exit {report.exit_code})"


def pair(values: tuple[int, int]) -> str:
    return f"[{values[0]}, {values[1]}]"


def counted(value: int | None, reason: NotCompared | None) -> str:
    if value is None:
        return f"{NOT_COMPARED}: {not_compared_words(reason)}" if reason else NOT_COMPARED
    return str(value)


def summary_rows(report: AuditReport) -> list[tuple[str, str]]:
    """The summary as (label, value) rows, shared by the text and markdown renderers."""
    s: Counts = report.summary
    unmanaged = "unmanaged" + (" (counts as drift: --strict)" if report.settings.strict else "")
    return [
        ("drifted", str(s.drifted)),
        ("missing", str(s.missing)),
        ("pending", str(s.pending)),
        (unmanaged, str(s.unmanaged)),
        ("orphaned", str(s.orphaned)),
        ("in sync", str(s.in_sync)),
        (
            "datasets without a contract",
            counted(s.datasets_without_contract, report.coverage.not_compared),
        ),
        (
            "unresolved incidents",
            counted(s.unresolved_incidents, report.incidents.not_compared),
        ),
    ]


# -- text --------------------------------------------------------------------------------


def render_text(report: AuditReport, *, color: bool = False, show_diff: bool = False) -> str:
    """The job log. Diffs of drifted datasets are always shown; of pending ones with
    ``show_diff``."""
    style: Style = ansi if color else plain
    s = report.summary
    lines = [
        style(
            printable(
                f"Audit of {report.contracts_dir} (git) against Soda Cloud {report.cloud_host}"
            ),
            "bold",
        ),
        "",
        f"  {'':<29}[git, cloud]",
        f"  {'contracts':<29}{pair(s.contracts)}",
        f"  {'exclusives':<29}{pair(s.exclusives)}",
    ]
    lines += [f"  {label:<29}{value}" for label, value in summary_rows(report)]
    for category in HEADINGS:
        entries = report.in_category(category)
        if not entries:
            continue
        lines += ["", style(f"{HEADINGS[category]}:", "bold")]
        shown = entries[:LIST_LIMIT]
        width = max(len(printable(e.dataset)) for e in shown)
        for entry in shown:
            lines.append(
                style(f"  {SYMBOL[category]} {printable(entry.dataset):<{width}}", ROLE[category])
                + printable(f"  {audit_detail(entry)}")
            )
            # Names, texts and contents come from Soda Cloud: nothing may steer the terminal.
            lines.extend(
                printable(line, keep="\t") for line in _text_details(entry, show_diff=show_diff)
            )
        if len(entries) > len(shown):
            lines.append(f"  ... and {len(entries) - len(shown)} more (--format json lists all)")
    lines.extend(printable(line) for line in _text_reporting(report))
    if report.warnings:
        lines.append("")
        lines.extend(printable(f"warning: {warning_words(w)}") for w in report.warnings)
    lines += ["", style(status_line(report), "drift" if report.exit_code >= 4 else "bold")]
    if report.calls is not None:
        lines.append(f"Soda Cloud calls: {report.calls.total}")
    return "\n".join(lines) + "\n"


def _text_details(entry: DatasetAudit, *, show_diff: bool) -> list[str]:
    out = []
    if entry.file:
        out.append(f"      file: {entry.file}")
    for version in entry.newer_versions:
        who = version.creator_id or "unknown"
        out.append(f"      version {version.version_id} by {who} at {version.created or '?'}")
    for change in entry.changes:
        out.append(f"      apply would: {change_words(change)}")
    out.append(f"      to do: {audit_remedy(entry)}")
    if entry.diff and (show_diff or entry.category is Category.DRIFTED):
        out.extend("      " + line for line in entry.diff.rstrip("\n").splitlines())
    return out


def _text_reporting(report: AuditReport) -> list[str]:
    out: list[str] = []
    coverage = report.coverage
    if coverage.not_compared is None and coverage.without_contract:
        out += ["", "Datasets without a contract (Reporting API):"]
        for dataset in coverage.without_contract[:LIST_LIMIT]:
            owner = f", owner {dataset.owner}" if dataset.owner else ""
            out.append(f"  o {dataset.name} (dataset id {dataset.dataset_id}{owner})")
        if len(coverage.without_contract) > LIST_LIMIT:
            out.append(f"  ... and {len(coverage.without_contract) - LIST_LIMIT} more")
    incidents = report.incidents
    if incidents.not_compared is None and incidents.unresolved:
        out += ["", "Unresolved incidents on managed datasets (Reporting API):"]
        for incident in incidents.unresolved[:LIST_LIMIT]:
            severity = f"[{incident.severity}] " if incident.severity else ""
            link = f"  {incident.url}" if incident.url else ""
            out.append(f"  * {severity}{incident.dataset}: {incident_title(incident)}{link}")
        if len(incidents.unresolved) > LIST_LIMIT:
            out.append(f"  ... and {len(incidents.unresolved) - LIST_LIMIT} more")
    return out


def render(
    report: AuditReport, output_format: str, *, color: bool = False, show_diff: bool = False
) -> str:
    """The report in ``text``, ``markdown`` or ``json``."""
    if output_format == "json":
        return render_json(report)
    if output_format == "markdown":
        return render_markdown(report)
    return render_text(report, color=color, show_diff=show_diff)


# -- json --------------------------------------------------------------------------------


def render_json(report: AuditReport) -> str:
    return json_text(report.model_dump_json(indent=2)) + "\n"


# -- markdown ----------------------------------------------------------------------------


def issue_title(report: AuditReport) -> str:
    """A stable title for the one issue a nightly job keeps open while drift exists."""
    return f"Soda contracts audit: {STATUS_WORDS[report.status]}"


def render_markdown(report: AuditReport, *, limit: int = REPORT_LIMIT) -> str:
    """The body of a GitHub issue: status, the summary tables, then a ``<details>`` section
    per difference. Never longer than ``limit`` (by default GitHub's limit less the room the
    workflow needs for its link to the run): when it must cut, the summary stays and the
    body says how many sections it left out."""
    s = report.summary
    head = [
        f"### {markdown(issue_title(report))}",
        "",
        f"**{markdown(status_line(report))}** · audited {markdown(report.created)} · "
        f"Soda Cloud {code(report.cloud_host)} · contracts {code(report.contracts_dir)}",
        "",
        "| | git | Soda Cloud |",
        "| --- | ---: | ---: |",
        f"| contracts | {s.contracts[0]} | {s.contracts[1]} |",
        f"| exclusives (only on this side) | {s.exclusives[0]} | {s.exclusives[1]} |",
        "",
        "| difference | datasets |",
        "| --- | ---: |",
    ]
    head += [
        f"| {markdown(label)} | {markdown(value if not value.startswith(NOT_COMPARED) else NOT_COMPARED)} |"
        for label, value in summary_rows(report)
    ]
    head.append("")
    not_compared = [
        (what, not_compared_words(part))
        for what, part in (
            ("datasets without a contract", report.coverage.not_compared),
            ("unresolved incidents", report.incidents.not_compared),
        )
        if part is not None
    ]
    if not_compared:
        head += ["> [!NOTE]", "> **Not compared** (this is not the same as none found):"]
        head += [
            f"> - {what}: {bounded(reason, BULLET_LIMIT, markdown)}"
            for what, reason in not_compared
        ]
        head.append("")
    if report.warnings:
        head += ["> [!WARNING]"]
        head += capped(
            (f"> - {bounded(warning_words(w), BULLET_LIMIT, markdown)}" for w in report.warnings),
            len(report.warnings),
            prefix="> ",
        )
        head.append("")
    if report.exit_code == 0:
        head += ["Soda Cloud matches the contracts folder.", ""]
    text = "\n".join(head) + "\n"
    sections = [
        _markdown_dataset(entry) for category in HEADINGS for entry in report.in_category(category)
    ]
    sections += _markdown_reporting(report)
    return fit_sections(text, sections, limit=limit, left_out=_left_out_note)


def _left_out_note(count: int) -> str:
    return (
        f"\n_{count} more section{'s' if count != 1 else ''} left out: an issue body holds at "
        f"most {GITHUB_ISSUE_LIMIT:,} characters. The job log (`reconciler audit`) and "
        "`--format json` have all of it._\n"
    )


def _markdown_dataset(entry: DatasetAudit) -> str:
    word = entry.category.value
    title = f"{SYMBOL[entry.category]} {word} {html_code(entry.dataset)}"
    if entry.change_class is not None:
        title += f" · apply: {entry.change_class.value}"
    # The detail and the remedy are the reconciler's own sentences, quoting the dataset and
    # its file: those are escaped wherever they stand, the sentences' code spans kept.
    quoted = (entry.dataset, *((entry.file,) if entry.file else ()))
    body = [
        f"<details><summary>{title}</summary>",
        "",
        f"- {own_markdown(audit_detail(entry), quoted)}",
    ]
    if entry.file:
        body.append(f"- file: {code(entry.file)}")
    for version in entry.newer_versions:
        who = markdown(version.creator_id or "unknown")
        body.append(
            f"- version {code(version.version_id)} by **{who}** at {markdown(version.created or '?')}"
        )
    body.extend(f"- apply would: {markdown(change_words(c))}" for c in entry.changes)
    body.append(f"- to do: {own_markdown(audit_remedy(entry), quoted)}")
    if entry.diff:
        body += ["", *code_block(entry.diff, "diff")]
    body += ["", "</details>", ""]
    return "\n".join(body) + "\n"


def _markdown_reporting(report: AuditReport) -> list[str]:
    sections = []
    coverage = report.coverage.without_contract
    if coverage:
        lines = ["<details><summary>Datasets without a contract</summary>", ""]
        for d in coverage[:LIST_LIMIT]:
            owner = f" (owner {markdown(d.owner)})" if d.owner else ""
            lines.append(f"- {code(d.name)}{owner}")
        if len(coverage) > LIST_LIMIT:
            lines.append(f"- ... and {len(coverage) - LIST_LIMIT} more")
        lines += ["", "</details>", ""]
        sections.append("\n".join(lines) + "\n")
    incidents = report.incidents.unresolved
    if incidents:
        lines = ["<details open><summary>Unresolved incidents on managed datasets</summary>", ""]
        for i in incidents[:LIST_LIMIT]:
            link = _link(i.url) if i.url else None
            title = (
                f"[{markdown(incident_title(i))}](<{link}>)"
                if link
                else markdown(incident_title(i))
            )
            severity = f"**{markdown(i.severity)}** " if i.severity else ""
            lines.append(f"- {severity}{title} on {code(i.dataset)}")
        if len(incidents) > LIST_LIMIT:
            lines.append(f"- ... and {len(incidents) - LIST_LIMIT} more")
        lines += ["", "</details>", ""]
        sections.append("\n".join(lines) + "\n")
    return sections


def _link(url: str) -> str | None:
    """A link destination from Soda Cloud, for ``[title](<...>)``: only an http(s) address,
    with every byte that could end the destination or hide in it percent-encoded."""
    if not url.lower().startswith(("https://", "http://")):
        return None
    return "".join(
        chr(byte) if 0x21 <= byte < 0x7F and chr(byte) not in "<>\\`" else f"%{byte:02X}"
        for byte in url.encode("utf-8", "surrogatepass")
    )
