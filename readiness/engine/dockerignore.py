"""`.dockerignore` files, matched the way Docker matches them.

Mirrors moby/buildkit's ``dockerignore.ReadAll`` (comments, trimming, ``!`` exceptions, a
leading ``/`` dropped, paths cleaned like Go's ``filepath.Clean``) and moby/patternmatcher's
``MatchesOrParentMatches`` (Go ``filepath.Match`` syntax plus ``**``; a pattern that matches a
parent folder excludes what is inside it; the last matching pattern wins).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

from .discover import MAX_FILE_BYTES

# Characters that are special in a regex but literal in filepath.Match (patternmatcher's list).
_REGEX_ONLY_SPECIALS = set(".+()|{}$")


def clean_path(path: str) -> str:
    """Go's ``filepath.Clean`` for slash-separated paths."""
    if not path:
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


@dataclass(frozen=True)
class Pattern:
    """One compiled line; ``kind`` is patternmatcher's match type (exact, prefix, suffix, regexp)."""

    text: str
    exclusion: bool
    kind: str
    regex: re.Pattern | None = None

    def matches(self, path: str) -> bool:
        if self.kind == "exact":
            return path == self.text
        if self.kind == "prefix":
            return path.startswith(self.text[:-2])
        if self.kind == "suffix":
            suffix = self.text[2:]
            return path.endswith(suffix) or (suffix.startswith("/") and path == suffix[1:])
        return bool(self.regex.match(path))


def compile_pattern(line: str) -> Pattern:
    """Compile one pattern line (``!`` included); raises ValueError for a malformed pattern."""
    text = clean_path(line.strip())
    exclusion = text.startswith("!")
    if exclusion:
        text = text[1:]
        if not text:
            raise ValueError('illegal exclusion pattern "!"')
    regex, kind = "^", "exact"
    index = 0
    while index < len(text):
        starts_pattern = index == 0
        char = text[index]
        if char == "*":
            if text.startswith("*", index + 1):
                index += 1
                if text.startswith("/", index + 1):  # treat "**/" as "**"
                    index += 1
                if index + 1 == len(text):  # a trailing "**" accepts everything below
                    if kind == "exact":
                        kind = "prefix"
                    else:
                        regex += ".*"
                        kind = "regexp"
                else:
                    regex += "(.*/)?"
                    kind = "regexp"
                if starts_pattern:
                    kind = "suffix"
            else:
                regex += "[^/]*"
                kind = "regexp"
        elif char == "?":
            regex += "[^/]"
            kind = "regexp"
        elif char in _REGEX_ONLY_SPECIALS:
            regex += "\\" + char
        elif char == "\\":
            if index + 1 < len(text):
                index += 1
                regex += "\\" + text[index]
                kind = "regexp"
            else:
                regex += "\\\\"
        elif char in "[]":
            regex += char
            kind = "regexp"
        else:
            regex += char
        index += 1
    compiled = None
    if kind == "regexp":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # FutureWarning about nested sets
                compiled = re.compile(regex + "$")
        except re.error as exc:
            raise ValueError(f"syntax error in pattern {line.strip()!r}") from exc
    return Pattern(text=text, exclusion=exclusion, kind=kind, regex=compiled)


@dataclass
class DockerIgnore:
    path: str
    error: str | None = None
    patterns: list[Pattern] = field(default_factory=list)

    def excludes(self, rel_path: str) -> bool:
        """Whether Docker leaves ``rel_path`` (relative to the build context) out of the context."""
        path = clean_path(rel_path.replace("\\", "/")).lstrip("/")
        if path in (".", ""):
            return False
        parents = path.split("/")[:-1]
        matched = False
        for pattern in self.patterns:
            # An inclusion cannot change an excluded path, nor an exception an included one.
            if pattern.exclusion != matched:
                continue
            match = pattern.matches(path) or any(
                pattern.matches("/".join(parents[: depth + 1])) for depth in range(len(parents))
            )
            if match:
                matched = not pattern.exclusion
        return matched


def parse_dockerignore(path: str, raw: bytes | None, error: str | None = None) -> DockerIgnore:
    """Parse a .dockerignore; never raises (problems become ``error``)."""
    if error is not None or raw is None:
        return DockerIgnore(path=path, error=error or "could not be read")
    if len(raw) > MAX_FILE_BYTES:
        return DockerIgnore(path=path, error=f"larger than {MAX_FILE_BYTES // 1024} KiB")
    if b"\0" in raw:
        return DockerIgnore(path=path, error="contains NUL bytes (not a text file)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return DockerIgnore(path=path, error="not valid UTF-8")
    ignore = DockerIgnore(path=path)
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):  # Docker checks for comments before trimming
            continue
        pattern = line.strip()
        if not pattern:
            continue
        try:
            ignore.patterns.append(compile_pattern(_normalise(pattern)))
        except ValueError as exc:
            # Docker refuses to build with a malformed pattern, so the whole file is unusable.
            return DockerIgnore(path=path, error=f"line {number}: {exc}")
    return ignore


def _normalise(pattern: str) -> str:
    """ReadAll's normalisation: clean, and make absolute patterns relative to the context."""
    invert = pattern.startswith("!")
    if invert:
        pattern = pattern[1:].strip()
    if pattern:
        pattern = clean_path(pattern)
        if len(pattern) > 1 and pattern.startswith("/"):
            pattern = pattern[1:]
    return "!" + pattern if invert else pattern
