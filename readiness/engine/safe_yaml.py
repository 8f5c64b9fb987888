"""Load untrusted YAML safely: size, alias and depth limits, and the line of every key.

PyYAML's safe loader shares aliased nodes, so a "billion laughs" file composes cheaply but explodes
in anything that walks the result. The composer below counts what each alias would expand to while
composing, and stops at the limits before any walk happens. Depth is checked while composing too,
so a 10,000-level nested list never reaches Python's recursion limit.

Scalars follow YAML 1.2 as Docker Compose does: only true/false are booleans (``restart: no`` stays
the string "no", a workflow's ``on:`` stays "on") and dates stay strings.

Compose's merge tags ``!reset`` and ``!override`` (Compose 2.24+) load: the value keeps its plain
type and the tag is recorded by path in ``LoadedYAML.merge_tags``; a ``!reset`` key is removed from
the document itself (it overrides a ``<<:`` merge key's value with nothing), and applies again when
files are merged (compose_merge.py). GitLab's ``!reference [job, key]`` loads as its plain list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

try:  # libyaml scans and parses in C, several times faster; composing stays ours, with the limits.
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    CParser = None

MAX_BYTES = 1024 * 1024
MAX_ALIAS_DEREFERENCES = 10_000
# Nodes that aliases may copy in all: keeps walking the expanded document cheap.
MAX_ALIAS_EXPANSION = 200_000
MAX_DEPTH = 100

Path = tuple[str | int, ...]


class YAMLLimitError(Exception):
    """The document broke a limit or is not valid YAML; the message says which, for a user."""


@dataclass
class LoadedYAML:
    data: object
    # Line (1-based) of every mapping key and sequence item, by path of str keys and int indices.
    lines: dict[Path, int] = field(default_factory=dict)
    # Keys given twice in one mapping: (path of the repeated key, line).
    duplicate_keys: list[tuple[Path, int]] = field(default_factory=list)
    # Compose merge tags by path: "reset" or "override".
    merge_tags: dict[Path, str] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


@dataclass
class _Frame:
    size: int = 0
    aliases: int = 0
    depth: int = 0


@dataclass(frozen=True)
class _Stats:
    size: int
    aliases: int
    depth: int


# Local tags that load as their plain value: Compose's merge tags (recorded) and GitLab's !reference.
MERGE_TAGS = {"!reset": "reset", "!override": "override"}
_PLAIN_TAGS = {*MERGE_TAGS, "!reference"}
_DEFAULT_TAGS = {MappingNode: "tag:yaml.org,2002:map", SequenceNode: "tag:yaml.org,2002:seq"}


class _LimitedComposer(Composer):
    """Composes nodes as PyYAML does, counting alias expansion and depth as it goes."""

    def __init__(self):
        super().__init__()
        self._frames: list[_Frame] = [_Frame()]
        self._stats: dict[int, _Stats] = {}
        self._dereferences = 0
        self._copied = 0
        self.duplicate_keys: list[tuple[Node, Node]] = []
        # id(node) -> "reset" / "override" for nodes that carried a merge tag.
        self.merge_tagged: dict[int, str] = {}

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            self._count_alias(self.peek_event())
            return super().compose_node(parent, index)
        if len(self._frames) > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise YAMLLimitError(f"nested deeper than {MAX_DEPTH} levels (line {mark.line + 1})")
        self._frames.append(_Frame())
        node = super().compose_node(parent, index)
        if node.tag in _PLAIN_TAGS:
            self._untag(node)
        frame = self._frames.pop()
        stats = _Stats(1 + frame.size, frame.aliases, frame.depth + 1)
        self._stats[id(node)] = stats
        self._add_to_parent(stats, alias=False)
        if isinstance(node, MappingNode):
            self._note_duplicates(node)
        return node

    def _untag(self, node: Node) -> None:
        """Give a locally tagged node the tag its plain value resolves to, remembering merge tags."""
        if node.tag in MERGE_TAGS:
            self.merge_tagged[id(node)] = MERGE_TAGS[node.tag]
        if isinstance(node, ScalarNode):
            node.tag = self.resolve(ScalarNode, node.value, (True, False))
        else:
            node.tag = _DEFAULT_TAGS[type(node)]

    def _count_alias(self, event) -> None:
        node = self.anchors.get(event.anchor)
        if node is None:
            return  # the composer raises "undefined alias"
        stats = self._stats.get(id(node))
        if stats is None:
            raise YAMLLimitError(f"alias *{event.anchor} refers to itself (line {event.start_mark.line + 1})")
        self._dereferences += 1 + stats.aliases
        self._copied += stats.size
        if self._dereferences > MAX_ALIAS_DEREFERENCES:
            raise YAMLLimitError(f"more than {MAX_ALIAS_DEREFERENCES:,} alias dereferences")
        if self._copied > MAX_ALIAS_EXPANSION:
            raise YAMLLimitError(f"aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes")
        if len(self._frames) - 1 + stats.depth > MAX_DEPTH:
            raise YAMLLimitError(f"alias *{event.anchor} nests deeper than {MAX_DEPTH} levels")
        self._add_to_parent(stats, alias=True)

    def _add_to_parent(self, stats: _Stats, *, alias: bool) -> None:
        parent = self._frames[-1]
        parent.size += stats.size
        parent.aliases += stats.aliases + (1 if alias else 0)
        parent.depth = max(parent.depth, stats.depth)

    def _note_duplicates(self, node: MappingNode) -> None:
        seen: set[str] = set()
        for key, _ in node.value:
            if isinstance(key, ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                if key.value in seen:
                    self.duplicate_keys.append((node, key))
                seen.add(key.value)


class _Resolver(Resolver):
    pass


# YAML 1.2 core schema scalars, as Compose reads them: only true/false are booleans, no
# base-60 integers ("22:22" stays a string), no timestamps.
_YAML_11_ONLY = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
}
_Resolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML_11_ONLY]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


class _PythonLoader(Reader, Scanner, Parser, _LimitedComposer, SafeConstructor, _Resolver):
    def __init__(self, stream):
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _LimitedComposer.__init__(self)
        SafeConstructor.__init__(self)
        _Resolver.__init__(self)


if CParser is not None:

    class _CLoader(_LimitedComposer, CParser, SafeConstructor, _Resolver):
        # _LimitedComposer comes first so its compose_* methods win over CParser's C composer.
        def __init__(self, stream):
            CParser.__init__(self, stream)
            _LimitedComposer.__init__(self)
            SafeConstructor.__init__(self)
            _Resolver.__init__(self)

    _Loader = _CLoader
else:  # pragma: no cover
    _Loader = _PythonLoader


def decode(raw: bytes) -> str:
    """UTF-8 text of a YAML file, or YAMLLimitError for oversize, NUL bytes or invalid UTF-8."""
    if len(raw) > MAX_BYTES:
        raise YAMLLimitError(f"larger than {MAX_BYTES // 1024} KiB")
    if b"\x00" in raw:
        raise YAMLLimitError("contains NUL bytes (binary file?)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YAMLLimitError(f"not valid UTF-8 (byte {exc.start})") from None


def load(raw: bytes) -> LoadedYAML:
    """Parse one YAML document within the limits; raise YAMLLimitError with a one-line reason."""
    text = decode(raw)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except YAMLLimitError:
        raise
    except yaml.YAMLError as exc:
        raise YAMLLimitError(_one_line(exc)) from None
    except RecursionError:  # defensive: the depth limit should make this unreachable
        raise YAMLLimitError(f"nested deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()
    loaded = LoadedYAML(data)
    if node is not None:
        _record_lines(node, (), loaded.lines, loader.merge_tagged, loaded.merge_tags)
        _remove_reset(loaded)
        parents = _paths_of_mappings(node)
        for mapping, key in loader.duplicate_keys:
            if id(mapping) in parents:
                path = (*parents[id(mapping)], key.value)
                loaded.duplicate_keys.append((path, key.start_mark.line + 1))
    return loaded


def _one_line(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem and mark is not None:
        return f"invalid YAML: {problem} (line {mark.line + 1}, column {mark.column + 1})"
    return "invalid YAML: " + " ".join(str(exc).split())


def _record_lines(
    node: Node, path: Path, lines: dict[Path, int], tagged: dict[int, str], merge_tags: dict[Path, str]
) -> None:
    # Iterative, and after construction, so merge keys are already flattened into node.value.
    stack: list[tuple[Node, Path]] = [(node, path)]
    while stack:
        current, here = stack.pop()
        if tagged and id(current) in tagged:
            merge_tags[here] = tagged[id(current)]
        if isinstance(current, MappingNode):
            for key, value in current.value:
                if isinstance(key, ScalarNode):
                    child = (*here, key.value)
                    lines[child] = key.start_mark.line + 1  # explicit keys follow merged ones
                    stack.append((value, child))
        elif isinstance(current, SequenceNode):
            for index, item in enumerate(current.value):
                child = (*here, index)
                lines[child] = item.start_mark.line + 1
                stack.append((item, child))


def _remove_reset(loaded: LoadedYAML) -> None:
    """Drop every ``!reset`` value from the document (deepest and last items first)."""
    resets = [path for path, tag in loaded.merge_tags.items() if tag == "reset" and path]
    for path in sorted(resets, key=lambda p: (len(p), p[-1] if isinstance(p[-1], int) else -1), reverse=True):
        parent = loaded.data
        for part in path[:-1]:
            parent = _child(parent, part)
        last = path[-1]
        if isinstance(parent, dict):
            for key in [last] if last in parent else [k for k in parent if str(k) == str(last)]:
                del parent[key]
        elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
            del parent[last]


def _child(value, part):
    if isinstance(value, dict):
        if part in value:
            return value[part]
        return next((v for k, v in value.items() if str(k) == str(part)), None)
    if isinstance(value, list) and isinstance(part, int) and part < len(value):
        return value[part]
    return None


def _paths_of_mappings(node: Node) -> dict[int, Path]:
    """First path at which each mapping node appears (for naming duplicate keys)."""
    paths: dict[int, Path] = {}
    stack: list[tuple[Node, Path]] = [(node, ())]
    while stack:
        current, here = stack.pop()
        if isinstance(current, MappingNode):
            if id(current) in paths:
                continue
            paths[id(current)] = here
            stack.extend(
                (value, (*here, key.value)) for key, value in current.value if isinstance(key, ScalarNode)
            )
        elif isinstance(current, SequenceNode):
            stack.extend((item, (*here, i)) for i, item in enumerate(current.value))
    return paths
