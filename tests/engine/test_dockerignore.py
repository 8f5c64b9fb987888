"""`.dockerignore` matching follows Docker (moby/patternmatcher MatchesOrParentMatches)."""

import pytest

from readiness.engine.dockerignore import clean_path, parse_dockerignore


def ignore(text: str):
    parsed = parse_dockerignore(".dockerignore", text.encode())
    assert parsed.error is None
    return parsed


@pytest.mark.parametrize(
    ("patterns", "path", "excluded"),
    [
        # Go filepath.Match: * and ? never cross a slash.
        ("*.md", "README.md", True),
        ("*.md", "docs/README.md", False),
        ("*/temp*", "somedir/temporary.txt", True),
        ("*/*/temp*", "somedir/subdir/temporary.txt", True),
        ("temp?", "tempa", True),
        ("temp?", "temp/a", False),
        ("[a-c]at", "bat", True),
        ("[^a-c]at", "bat", False),
        ("\\*.txt", "*.txt", True),
        ("\\*.txt", "a.txt", False),
        # ** matches any number of folders, even none.
        ("**/node_modules", "node_modules", True),
        ("**/node_modules", "web/app/node_modules/x.js", True),
        ("**/*.go", "a/b/main.go", True),
        ("docs/**", "docs/a/b.md", True),
        ("docs/**", "docs", False),
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        # A pattern without a slash is anchored at the context root.
        ("node_modules", "node_modules/lib/index.js", True),
        ("node_modules", "web/node_modules", False),
        # A folder pattern excludes what is inside it.
        ("build", "build/x/y.o", True),
        (".git/", ".git/config", True),
        # Leading / and ./ are stripped, patterns are cleaned.
        ("/secrets", "secrets/key", True),
        ("./secrets", "secrets/key", True),
        ("dir/../other", "other", True),
        # Exceptions, and the last matching pattern wins.
        ("*.md\n!README.md", "README.md", False),
        ("*.md\n!README.md", "CHANGES.md", True),
        ("!README.md\n*.md", "README.md", True),
        ("vendor\n!vendor/keep", "vendor/keep", False),
        ("vendor\n!vendor/keep", "vendor/other", True),
        ("*\n!src", "src/app.py", False),
        ("*\n!src", ".git", True),
        # Comments only when # starts the line; blank lines are nothing.
        ("# .env\n\n", ".env", False),
        (" #.env", "#.env", True),
        # Surrounding spaces are trimmed.
        ("  .env  ", ".env", True),
    ],
)
def test_matching(patterns, path, excluded):
    assert ignore(patterns).excludes(path) is excluded


def test_the_context_root_itself_is_never_excluded():
    assert ignore("*\n**\n.").excludes(".") is False


def test_paths_are_normalised_before_matching():
    matcher = ignore("secrets")
    assert matcher.excludes("./secrets/a") and matcher.excludes("secrets\\a")


@pytest.mark.parametrize(("text", "reason"), [("[\n", "line 1"), ("ok\n!\n", "line 2")])
def test_a_malformed_pattern_makes_the_file_an_error_as_docker_refuses_it(text, reason):
    parsed = parse_dockerignore(".dockerignore", text.encode())
    assert parsed.error and reason in parsed.error


@pytest.mark.parametrize(
    ("raw", "error", "reason"),
    [
        (None, "symlink not followed", "symlink not followed"),
        (b"\xff\xfe.git", None, "not valid UTF-8"),
        (b".git\x00", None, "NUL"),
    ],
)
def test_unreadable_files_carry_a_reason(raw, error, reason):
    parsed = parse_dockerignore(".dockerignore", raw, error)
    assert reason in parsed.error and parsed.patterns == []


@pytest.mark.parametrize(
    ("path", "cleaned"),
    [("", "."), ("a//b/./c/", "a/b/c"), ("a/../..", ".."), ("/../a", "/a"), ("//a", "/a"), ("./", ".")],
)
def test_clean_path_matches_go(path, cleaned):
    assert clean_path(path) == cleaned
