"""readiness.sources stays pure Python: the Django app passes its settings in."""

import ast
from pathlib import Path

import readiness.sources

FORBIDDEN = ("django", "celery", "readiness.repos", "readiness.teams", "readiness.core")


def test_sources_import_no_django_or_app_code():
    package = Path(readiness.sources.__file__).parent
    imported = set()
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)
    assert "readiness.probes" in imported  # the guard, itself Django-free
    assert not [name for name in imported if name.startswith(FORBIDDEN)]
