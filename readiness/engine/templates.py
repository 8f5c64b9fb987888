"""Files with template syntax (Jinja's ``{{ name }}`` and ``{% ... %}``): not what runs until rendered.

A compose file or Dockerfile that holds them (a cookiecutter, an Ansible role's templates) is reported
once as a template and judged by nothing else (checks.md, Version 2). Go templates, which compose files
and Dockerfiles hold legitimately (``{{.Name}}``, ``{{json .State}}``), and GitHub's ``${{ }}`` are not
Jinja.
"""

from __future__ import annotations

import re

_JINJA_STATEMENT = re.compile(r"\{%-?.*?-?%\}")
_JINJA_EXPRESSION = re.compile(
    r"(?<!\$)\{\{-?\s*[A-Za-z_]\w*(?:\.\w+|\[[^\]\n]*\]|\([^()\n]*\))*\s*(?:\|[^{}\n]*)?-?\}\}"
)


def template_mark(text: str) -> tuple[int, str] | None:
    """(line, description) of the first template mark in ``text``, or None."""
    match = _JINJA_STATEMENT.search(text) or _JINJA_EXPRESSION.search(text)
    if match is None:
        return None
    kind = "{% ... %}" if match.group().startswith("{%") else "{{ ... }}"
    return text.count(
        "\n", 0, match.start()
    ) + 1, f"a template (Jinja {kind}): not judged until it is rendered"
