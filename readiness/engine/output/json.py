"""The JSON report (fields documented in docs/cli.md): ScanReport.as_dict plus the optional lint."""

from __future__ import annotations

import json

from ..model import ScanReport

# Not typing.TYPE_CHECKING: importing typing costs start-up time (type checkers know this form).
TYPE_CHECKING = False
if TYPE_CHECKING:  # the lint module (subprocess, shutil) loads only with --with-hadolint
    from ..baseline import Comparison
    from ..lint import LintReport


def render_json(
    report: ScanReport, *, lint: LintReport | None = None, comparison: Comparison | None = None
) -> str:
    data = report.as_dict()
    if lint is not None:
        data["lint"] = lint.as_dict()
    if comparison is not None:
        data["baseline"] = comparison.as_dict()
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
