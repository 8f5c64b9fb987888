"""YAML edits that keep the file's comments and layout, through ruamel.yaml's round-trip loader.

ruamel.yaml reads the file (keeping the line and column of every key and item) and writes every
new piece of YAML; the edit puts that piece at the place ruamel.yaml located, at the indentation
the file uses, so every line the fix does not touch stays byte for byte as it was (a whole-file
round trip would re-indent lists and respace flow sequences). Each patch is checked before it is
offered: the edited text is loaded again and must mean exactly the intended document, else the
patch offers nothing.

ruamel.yaml is imported here only, and this module only when a compose fix is computed, so a
plain scan never pays for it.
"""

from __future__ import annotations

import io
import re
import textwrap
import threading
from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString, SingleQuotedScalarString

from .. import safe_yaml
from .apply import apply_edits
from .files import TextFile
from .model import Edit

Path = tuple  # of str keys and int indices

_COMMENT_OR_BLANK = re.compile(r"^\s*(#.*)?$")


class PatchError(Exception):
    """The patch cannot be made safely (flow style, aliases, unusual layout...)."""


_PER_THREAD = threading.local()


def _yaml(mapping: int = 2, offset: int = 2) -> YAML:
    """A round-trip YAML for one indentation style, made once per thread (building one is not
    free, and one is not safe to share between threads: the worker may run scans in threads)."""
    made = _PER_THREAD.__dict__.setdefault("yaml", {})
    if (mapping, offset) not in made:
        made[(mapping, offset)] = _make_yaml(mapping, offset)
    return made[(mapping, offset)]


def _make_yaml(mapping: int, offset: int) -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long command onto two lines
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    return yaml


@dataclass
class Style:
    mapping: int
    offset: int  # of a block sequence's dash from its parent key
    quote: str  # the quote character the file uses most


def load(text: str):
    """The round-trip document, or PatchError."""
    try:
        return _yaml().load(text)
    except (YAMLError, RecursionError, ValueError) as exc:
        raise PatchError(f"ruamel.yaml cannot read it: {type(exc).__name__}") from None


def plain(node):
    """The document as plain Python data (what the file means), merge keys applied."""
    if isinstance(node, dict):
        return {str(key): plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [plain(item) for item in node]
    if isinstance(node, ScalarString):
        return str(node)
    if hasattr(node, "value") and type(node).__name__ == "TaggedScalar":
        return node.value
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


# ruamel.yaml is pure Python: past this size a fix would cost seconds, so none is offered.
MAX_PATCH_BYTES = 128 * 1024


class Patch:
    """Edits to one YAML file, made through ruamel.yaml and checked before they are returned."""

    def __init__(self, text: TextFile, doc=None):
        """``doc``: the file already loaded (a copy this patch may change), else it is loaded here."""
        if sum(len(line) for line in text.lines) > MAX_PATCH_BYTES:
            raise PatchError(f"larger than {MAX_PATCH_BYTES // 1024} KiB, too large to edit automatically")
        self.text = text
        self.doc = doc if doc is not None else load(text.text)
        if not isinstance(self.doc, CommentedMap):
            raise PatchError("the file is not a mapping")
        self.style = _detect_style(self.doc, text)
        self.edits: list[Edit] = []
        # How to take back each change to ``doc``: the document loaded once per scan is shared by
        # every patch of the file, so each patch leaves it as it found it (close()).
        self._undo: list = []

    # --- reading -----------------------------------------------------------------------------

    def node(self, path: Path):
        node = self.doc
        for part in path:
            if (isinstance(node, CommentedMap) and part in node) or (
                isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node)
            ):
                node = node[part]
            else:
                raise PatchError(f"{'.'.join(map(str, path))} is not in the file")
        return node

    def has(self, path: Path) -> bool:
        try:
            self.node(path)
        except PatchError:
            return False
        return True

    def _position(self, path: Path) -> tuple[int, int]:
        """0-based line and column of the key (or sequence item) at ``path``."""
        parent = self.node(path[:-1])
        last = path[-1]
        data = _lines_of(parent)
        if last not in data:
            raise PatchError(f"no position for {'.'.join(map(str, path))} (merged or aliased)")
        line, column = data[last][0], data[last][1]
        if isinstance(parent, CommentedSeq):
            column -= 2  # lc gives the item's value; the entry starts at its dash
        return line, column

    def _bound(self, path: Path) -> int:
        """0-based line where whatever follows the entry at ``path`` begins (or the end)."""
        if not path:
            return len(self.text.lines)
        start = self._position(path)[0]
        parent = self.node(path[:-1])
        later = [v[0] for v in _lines_of(parent).values() if v[0] > start]
        return min(later) if later else self._bound(path[:-1])

    def _end(self, path: Path) -> int:
        """0-based last line of the entry at ``path``, its trailing comments and blank lines left out."""
        start = self._position(path)[0]
        end = self._bound(path) - 1
        while end > start and _COMMENT_OR_BLANK.match(self.text.lines[end]):
            end -= 1
        return end

    # --- writing ----------------------------------------------------------------------------

    def add(self, path: Path, key: str, value) -> None:
        """Add ``key: value`` after the last entry of the block mapping at ``path``."""
        mapping = self.node(path)
        if not isinstance(mapping, CommentedMap) or mapping.fa.flow_style():
            raise PatchError(f"{'.'.join(map(str, path)) or 'the file'} is not a block mapping")
        if key in mapping:
            raise PatchError(f"{key} is already there")
        positions = _lines_of(mapping)
        own = [k for k in positions if k in mapping]
        if not own:
            raise PatchError("the mapping has no key of its own to follow")
        last = max(own, key=lambda k: positions[k][0])
        column = positions[own[0]][1]
        end = self._end((*path, last))
        self.edits.append(self.text.insert_after(end + 1, self._fragment({key: value}, column)))
        mapping[key] = value
        self._undo.append(lambda: _forget(mapping, key))

    def set(self, path: Path, value) -> None:
        """Replace the value of the key at ``path`` (its whole entry, comments inside it included)."""
        parent = self.node(path[:-1])
        key = path[-1]
        if not isinstance(parent, CommentedMap) or parent.fa.flow_style():
            raise PatchError("not a key of a block mapping")
        old = self.node(path)
        line, column = self._position(path)
        end = self._end(path)
        fragment = self._fragment({key: _like(old, value)}, column)
        comment = _eol_comment(parent, key, line)
        if comment and end == line and fragment.count("\n") == 1:
            fragment = fragment.rstrip("\n") + "  " + comment + "\n"
        self.edits.append(self.text.replace(line + 1, end + 1, fragment))
        parent[key] = _like(old, value)
        self._undo.append(lambda: parent.__setitem__(key, old))

    def set_item(self, path: Path, value) -> None:
        """Replace one item of a block sequence (a single-line scalar)."""
        sequence = self.node(path[:-1])
        index = path[-1]
        if not isinstance(sequence, CommentedSeq) or sequence.fa.flow_style():
            raise PatchError("not an item of a block sequence")
        line, column = self._position(path)
        if self._end(path) != line or self.text.lines[line][column : column + 1] != "-":
            raise PatchError("the item spans several lines")
        old = sequence[index]
        item = self._item(_like(old, value)).rstrip("\n")
        comment = _eol_comment(sequence, index, line, item=True)
        new_line = " " * column + item + ("  " + comment if comment else "") + "\n"
        self.edits.append(self.text.replace(line + 1, line + 1, new_line))
        sequence[index] = _like(old, value)
        self._undo.append(lambda: sequence.__setitem__(index, old))

    def append_item(self, path: Path, value) -> None:
        """Add an item after the last one of the block sequence at ``path``."""
        sequence = self.node(path)
        positions = _lines_of(sequence)
        if not isinstance(sequence, CommentedSeq) or sequence.fa.flow_style() or not positions:
            raise PatchError("not a block sequence with items")
        last = max(positions, key=lambda index: positions[index][0])
        column = self._position((*path, last))[1]
        end = self._end((*path, last))
        item = self._item(value)
        self.edits.append(self.text.insert_after(end + 1, _indent(item, column)))
        sequence.append(value)
        self._undo.append(sequence.pop)

    def quoted(self, text: str) -> ScalarString:
        """A string written with the quotes the file prefers."""
        return DoubleQuotedScalarString(text) if self.style.quote == '"' else SingleQuotedScalarString(text)

    def flow(self, items: list) -> CommentedSeq:
        """A flow sequence (``["CMD", "pg_isready"]``) of quoted strings."""
        sequence = CommentedSeq(self.quoted(str(item)) for item in items)
        sequence.fa.set_flow_style()
        return sequence

    def _item(self, value) -> str:
        """One sequence item (``- value``) with its dash at column 0."""
        return textwrap.dedent(self._fragment([value], 0))

    def _fragment(self, data, column: int) -> str:
        stream = io.StringIO()
        _yaml(self.style.mapping, self.style.offset).dump(data, stream)
        return _indent(stream.getvalue(), column)

    def mark(self) -> tuple[int, int]:
        return len(self._undo), len(self.edits)

    def rollback(self, mark: tuple[int, int]) -> None:
        """Take back the changes and edits made since ``mark``."""
        changes, edits = mark
        while len(self._undo) > changes:
            self._undo.pop()()
        del self.edits[edits:]

    def close(self) -> None:
        """Leave the shared document as it was loaded."""
        self.rollback((0, 0))

    def __enter__(self) -> Patch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def finish(self) -> list[Edit]:
        """The edits, once the edited text is checked to mean the intended document.

        The check reads the edited text the way the engine reads compose files (safe_yaml, with
        libyaml), so what is verified is what the next scan will see.
        """
        if not self.edits:
            return []
        expected = plain(self.doc)
        edited = apply_edits(self.text.text, self.edits)
        try:
            actual = safe_yaml.load(edited.encode("utf-8")).data
        except safe_yaml.YAMLLimitError:
            raise PatchError("the edited file would not parse") from None
        if actual != expected:
            raise PatchError("the edited file would not mean what was intended")
        return list(self.edits)  # a copy: close() empties self.edits


def patch_for(files, text: TextFile) -> Patch:
    """A Patch of ``text`` on the document loaded once per scan (loading is the slow part of
    ruamel.yaml); use it in a ``with`` block, which takes its changes back."""
    key = ("ruamel", text.rel, text.digest)
    if key not in files.memo:
        try:
            files.memo[key] = load(text.text)
        except PatchError as exc:
            files.memo[key] = exc
    loaded = files.memo[key]
    if isinstance(loaded, PatchError):
        raise loaded
    return Patch(text, loaded)


def _forget(mapping: CommentedMap, key) -> None:
    """Undo ``mapping[key] = value`` for a key that was absent. Not ``del mapping[key]``: that also
    asks the mappings that merge this one (``<<: *anchor``) to refresh the key, which fails in
    ruamel.yaml 0.19, and the assignment never told them about it anyway."""
    super(CommentedMap, mapping).__delitem__(key)
    mapping._ok.discard(key)


def _lines_of(node) -> dict:
    """ruamel.yaml's key/item -> position map of a node ({} for one made in memory, or an alias)."""
    return getattr(getattr(node, "lc", None), "data", None) or {}


def _indent(text: str, column: int) -> str:
    lines = text.splitlines(keepends=True)
    return "".join((" " * column + line) if line.strip() else line for line in lines)


def _like(old, value):
    """``value`` written in the style of the value it replaces (quoted if that was quoted)."""
    if isinstance(value, str) and not isinstance(value, ScalarString) and isinstance(old, ScalarString):
        return type(old)(value)
    return value


def _eol_comment(parent, key, line: int, *, item: bool = False) -> str | None:
    """The comment at the end of ``key``'s line (``image: app  # the app``), if any."""
    tokens = parent.ca.items.get(key) if hasattr(parent, "ca") else None
    if not tokens:
        return None
    token = tokens[0] if item else tokens[2]
    if token is None or getattr(token, "start_mark", None) is None or token.start_mark.line != line:
        return None
    first = token.value.split("\n", 1)[0].strip()
    return first if first.startswith("#") else None


def _detect_style(doc: CommentedMap, text: TextFile) -> Style:
    mapping, offset = 2, 2
    services = doc.get("services")
    if isinstance(services, CommentedMap) and _lines_of(services):
        first = next(iter(_lines_of(services).values()))
        top = _lines_of(doc).get("services")
        if top is not None and first[1] > top[1]:
            mapping = first[1] - top[1]
    dash = _first_block_sequence_offset(doc)
    offset = dash if dash is not None else mapping
    body = text.text
    quote = "'" if body.count("'") > body.count('"') else '"'
    return Style(mapping, offset, quote)


def _first_block_sequence_offset(node, depth: int = 0) -> int | None:
    """How far the file indents a block sequence's dash past its key (0 or 2, usually)."""
    if depth > 20 or not isinstance(node, CommentedMap):
        return None
    for key, value in node.items():
        position = _lines_of(node).get(key)
        if isinstance(value, CommentedSeq) and not value.fa.flow_style() and _lines_of(value) and position:
            first = _lines_of(value).get(0)
            if first and first[0] > position[0]:
                return max(0, first[1] - 2 - position[1])
        found = _first_block_sequence_offset(value, depth + 1)
        if found is not None:
            return found
    return None
