"""The analysis engine: pure Python, no Django. ``analyze(path)`` returns a ScanReport.

The architecture test (tests/engine/test_architecture.py) keeps Django out of this package.
"""

from .analyze import ENGINE_VERSION, analyze
from .model import CheckResult, Evidence, ScanReport, Status
from .project import HealthFacts

__all__ = ["ENGINE_VERSION", "CheckResult", "Evidence", "HealthFacts", "ScanReport", "Status", "analyze"]
