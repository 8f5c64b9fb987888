"""The JSON report (fields documented in docs/cli.md): ScanReport.as_dict plus the optional lint."""

from __future__ import annotations

import json

from ..lint import LintReport
from ..model import ScanReport


def render_json(report: ScanReport, *, lint: LintReport | None = None) -> str:
    data = report.as_dict()
    if lint is not None:
        data["lint"] = lint.as_dict()
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
