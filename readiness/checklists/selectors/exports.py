"""A comparison as a download: Markdown (for a pull request or a ticket) and CSV."""

from __future__ import annotations

import csv
import io


def _fmt(score) -> str:
    return "n/a" if score is None else f"{score:.1f}/10"


def _run_label(run) -> str:
    commit = f", {run.commit_sha[:10]}" if run.commit_sha else ""
    return f"run #{run.pk} ({run.finished_at:%Y-%m-%d}{commit})"


def comparison_markdown(comparison: dict, *, repository, template) -> str:
    before, after = comparison["before"].run, comparison["after"].run
    lines = [
        f"### Readiness of {repository.name}: {template.title}",
        "",
        f"Before: {_run_label(before)} · After: {_run_label(after)}",
        "",
        "| Category | Before | After | Status |",
        "|----------|--------|-------|--------|",
    ]
    for row in comparison["rows"]:
        lines.append(f"| {row['title']} | {_fmt(row['before'])} | {_fmt(row['after'])} | {row['status']} |")
    o = comparison["overall"]
    lines.append(f"| **Overall** | **{_fmt(o['before'])}** | **{_fmt(o['after'])}** | {o['status']} |")
    lines.append("")
    if comparison["changes"]:
        lines += ["#### Items that changed", ""]
        for c in comparison["changes"]:
            checks = f" (`{'`, `'.join(c['checks'])}`)" if c["checks"] else ""
            lines.append(
                f"- **{c['title']}**{checks}, {c['category']}: {c['before']} → {c['after']} ({c['change']})"
            )
    else:
        lines.append("No item changed.")
    return "\n".join(lines) + "\n"


def comparison_csv_rows(comparison: dict) -> list[list[str]]:
    rows = [["kind", "category", "item", "before", "after", "status"]]
    for row in comparison["rows"]:
        rows.append(
            ["category", row["title"], "", _csv_score(row["before"]), _csv_score(row["after"]), row["status"]]
        )
    o = comparison["overall"]
    rows.append(["overall", "Overall", "", _csv_score(o["before"]), _csv_score(o["after"]), o["status"]])
    for c in comparison["changes"]:
        rows.append(["item", c["category"], c["title"], c["before"], c["after"], c["change"]])
    return rows


def _csv_score(score) -> str:
    return "" if score is None else f"{score:.1f}"


def comparison_csv(comparison: dict) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(comparison_csv_rows(comparison))
    return buffer.getvalue()
