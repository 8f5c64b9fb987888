"""A comparison as a download: Markdown (for a pull request or a ticket) and CSV."""

from __future__ import annotations

import csv
import io

from readiness.engine.output.markdown import comparison_table


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
        # The same table as `readiness scan --format markdown` (the engine renders both).
        *comparison_table(comparison["rows"], comparison["overall"], overall_label="Readiness score"),
        "",
    ]
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
    rows.append(
        ["overall", "Readiness score", "", _csv_score(o["before"]), _csv_score(o["after"]), o["status"]]
    )
    for c in comparison["changes"]:
        rows.append(["item", c["category"], c["title"], c["before"], c["after"], c["change"]])
    return rows


def _csv_score(score) -> str:
    return "" if score is None else f"{score:.1f}"


def comparison_csv(comparison: dict) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(comparison_csv_rows(comparison))
    return buffer.getvalue()
