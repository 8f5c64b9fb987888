"""The engine's logical-line splitter gives what dockerfile-parse's ``structure`` gives.

dockerfile-parse (a test dependency only) is the reference: every Dockerfile of the corpus and of
the engine fixtures, hand-written edge cases, and thousands of deterministic mutations of them
(continuations, comments inside them, blank lines, escape directives, odd line breaks) split into
the same instructions, values and line numbers.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from readiness.engine.discover import is_dockerfile_name
from readiness.engine.dockerfile import _logical_lines
from tests.shared_dir import shared_path

REPO = Path(__file__).resolve().parents[2]
ROOTS = [REPO / "tests" / "engine" / "fixtures", shared_path("corpus", "awesome-compose")]


def reference(text: str) -> list[dict]:
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")))
    return [
        {key: item[key] for key in ("instruction", "startline", "endline", "value")}
        for item in parser.structure
        if item["instruction"] != "COMMENT"
    ]


def texts() -> list[str]:
    found = []
    for root in ROOTS:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink() and is_dockerfile_name(path.name):
                raw = path.read_bytes()
                if len(raw) < 200_000 and b"\0" not in raw:
                    found.append(raw.decode("utf-8", errors="replace"))
    return found


TEXTS = texts()
EDGE_CASES = [
    "",
    "FROM a",
    "FROM a\nRUN",
    "FROM a\nRUN\n",
    "FROM a\nRUN echo \\\n\n  done\n",
    "FROM a\nRUN echo \\\n# a comment inside\n  done\n",
    "# escape=`\nFROM a\nRUN echo `\n  done\nRUN x \\\n",
    "# syntax=docker/dockerfile:1\n# escape=`\nFROM a\nRUN a `\n b\n",
    "FROM a\r\nRUN b \\\r\n c\r\n",
    "FROM a\nRUN a\x0cb \\\n c\u2028d\n",
    '  from   a  \n\tcmd ["x"]   \\   \n',
    "FROM a\nRUN x \\",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_split_as_dockerfile_parse_does(text):
    assert _logical_lines(text) == reference(text)


def test_every_real_dockerfile_splits_as_dockerfile_parse_does():
    assert len(TEXTS) >= 30
    for text in TEXTS:
        assert _logical_lines(text) == reference(text)


PIECES = [
    "\\",
    "\\\n",
    "\n",
    "\n\n",
    "# note\n",
    "  ",
    "`",
    "\r",
    "\t",
    "RUN a \\\n",
    "# escape=`\n",
    "#",
    "x",
]


def test_mutated_dockerfiles_split_as_dockerfile_parse_does():
    rng = random.Random(15)
    compared = 0
    for text in TEXTS:
        for _ in range(40):
            chars = list(text)
            for _ in range(rng.randint(1, 4)):
                chars.insert(rng.randrange(len(chars) + 1), rng.choice(PIECES))
            mutated = "".join(chars)
            assert _logical_lines(mutated) == reference(mutated), mutated
            compared += 1
    assert compared >= 1000
