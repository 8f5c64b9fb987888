"""The engine is pure Python: no module under readiness/engine imports Django."""

import ast
from pathlib import Path

import readiness.engine

ENGINE = Path(readiness.engine.__file__).parent


def imported_modules(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            names += [
                arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            ]
    return names


def test_engine_modules_import_no_django():
    modules = sorted(ENGINE.rglob("*.py"))
    assert len(modules) > 10
    offenders = [
        (str(path.relative_to(ENGINE)), name)
        for path in modules
        for name in imported_modules(ast.parse(path.read_text(), filename=str(path)))
        if name == "django" or name.startswith("django.")
    ]
    assert offenders == []


def test_the_import_finder_sees_django_imports():
    source = "import django\nfrom django.db import models\nimportlib.import_module('django.conf')\n"
    assert imported_modules(ast.parse(source)) == ["django", "django.db", "django.conf"]
