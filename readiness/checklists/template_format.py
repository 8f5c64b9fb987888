"""Checklist templates as data: load and validate YAML, dump it back, check the check ids.

Pure Python (no Django): the Django app stores what ``load_template`` returns, and the tests run
without a database. The format is described in docs/checklists.md; its schema is in
``template_schema``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable

import jsonschema
import yaml

from .template_schema import CONDITION_SCHEMA, MAX_TEMPLATE_BYTES, MAX_YAML_DEPTH, TEMPLATE_SCHEMA

BUILTIN_PACKAGE = "readiness.checklists"
BUILTIN_FOLDER = "builtin"

_VALIDATOR = jsonschema.Draft202012Validator(TEMPLATE_SCHEMA)


class TemplateError(ValueError):
    """A template that cannot be used; the message names the offending key's path."""


@dataclass(frozen=True)
class DocumentRef:
    """The document a template was built from."""

    document: str
    title: str


@dataclass(frozen=True)
class SourceRef:
    """The line of a document an item traces back to."""

    document: str
    section: str
    quote: str


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    level: str
    sources: tuple[SourceRef, ...] = ()
    # Automated items: the checks that decide the status, and how their statuses combine.
    checks: tuple[str, ...] = ()
    combine: str = "all"
    # Manual items: an engineer ticks them, again every ``reattest_days`` if set.
    manual: bool = False
    reattest_days: int | None = None
    evidence_required: bool = False
    fix: str = ""
    # When the item applies (applicability.py); None: to every repository.
    applies_when: dict | None = field(default=None, hash=False)

    @property
    def automated(self) -> bool:
        return bool(self.checks)


@dataclass(frozen=True)
class Category:
    id: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Template:
    slug: str
    title: str
    version: int
    categories: tuple[Category, ...]
    description: str = ""
    sources: tuple[DocumentRef, ...] = ()

    @property
    def items(self) -> list[Item]:
        return [item for category in self.categories for item in category.items]


# libyaml where PyYAML has it (five times faster on the built-ins). Its loader composes nodes
# recursively in C and crashes on deep nesting, so the events are checked first.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_OPENS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSES = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _check_events(text: str) -> None:
    """Refuse aliases (templates never need them; they are how a small file expands into a huge one)
    and nesting deeper than a template ever goes, before anything is built."""
    depth = 0
    for event in yaml.parse(text, Loader=_YAML_LOADER):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise TemplateError(f"invalid YAML: line {line}: aliases are not allowed")
        if isinstance(event, _OPENS):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise TemplateError(f"invalid YAML: line {line}: nested deeper than {MAX_YAML_DEPTH} levels")
        elif isinstance(event, _CLOSES):
            depth -= 1


def _key_path(path: Iterable) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _parse_yaml(text: str) -> object:
    size = len(text.encode("utf-8"))
    if size > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"template is {size} bytes; the limit is {MAX_TEMPLATE_BYTES}")
    try:
        _check_events(text)
        return yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise TemplateError(f"invalid YAML: {where}{problem}") from None


def _error_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties" and error.schema is CONDITION_SCHEMA:
        unknown = sorted(set(error.instance) - set(CONDITION_SCHEMA["properties"]))
        keys = ", ".join(CONDITION_SCHEMA["properties"])
        return f"{', '.join(map(repr, unknown))}: not a condition; a condition uses {keys}"
    if error.validator != "oneOf":
        return error.message
    # A oneOf failure's own message dumps the whole instance: say what is allowed instead, plus the
    # most telling failure of a branch (a missing key, a bad value), if there is one.
    message = error.schema.get("description", "does not match any allowed shape")
    hint = jsonschema.exceptions.best_match(e for e in error.context if e.validator not in ("type", "not"))
    if hint is None:
        return message
    where = f"{_key_path(hint.relative_path)}: " if hint.relative_path else ""
    return f"{message}; {where}{hint.message}"


def validate_template_data(data: object) -> None:
    """Raise ``TemplateError`` unless ``data`` (parsed YAML or JSON) is a valid template."""
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(data))
    if error is not None:
        raise TemplateError(f"{_key_path(error.absolute_path)}: {_error_message(error)}")
    seen_categories: set[str] = set()
    seen_items: set[str] = set()
    for c, category in enumerate(data["categories"]):
        if category["id"] in seen_categories:
            raise TemplateError(f"categories[{c}].id: duplicate category id {category['id']!r}")
        seen_categories.add(category["id"])
        for i, item in enumerate(category["items"]):
            # Item ids are unique across the whole template: checklist states are keyed by them.
            if item["id"] in seen_items:
                raise TemplateError(f"categories[{c}].items[{i}].id: duplicate item id {item['id']!r}")
            seen_items.add(item["id"])


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _item_from_data(data: dict) -> Item:
    return Item(
        id=data["id"],
        title=data["title"],
        level=data["level"],
        sources=tuple(SourceRef(**source) for source in _as_list(data.get("source"))),
        checks=tuple(data.get("checks", ())),
        combine=data.get("combine", "all"),
        manual=data.get("manual", False),
        reattest_days=data.get("reattest_days"),
        evidence_required=data.get("evidence_required", False),
        fix=data.get("fix", ""),
        applies_when=data.get("applies_when"),
    )


def template_from_data(data: object) -> Template:
    """Validate parsed template data and build the ``Template``."""
    validate_template_data(data)
    categories = tuple(
        Category(
            id=category["id"],
            title=category["title"],
            items=tuple(_item_from_data(item) for item in category["items"]),
        )
        for category in data["categories"]
    )
    return Template(
        slug=data["slug"],
        title=data["title"],
        version=data["version"],
        categories=categories,
        description=data.get("description", ""),
        sources=tuple(DocumentRef(**ref) for ref in _as_list(data.get("source"))),
    )


def load_template(text: str) -> Template:
    """Parse and validate one template from YAML text."""
    return template_from_data(_parse_yaml(text))


def load_templates_from(folder: Traversable) -> list[Template]:
    """The ``*.yml`` templates of a folder, in file-name order; their slugs must be unique."""
    templates: dict[str, Template] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yml"):
            try:
                template = load_template(entry.read_text(encoding="utf-8"))
            except TemplateError as exc:
                raise TemplateError(f"{entry.name}: {exc}") from None
            # The slug is how the database finds a built-in again; two files must not share one.
            if template.slug in templates:
                raise TemplateError(f"{entry.name}: slug: {template.slug!r} is used by another template")
            templates[template.slug] = template
    return list(templates.values())


def load_builtin_templates() -> list[Template]:
    """The templates shipped in ``readiness/checklists/builtin/``."""
    return load_templates_from(resources.files(BUILTIN_PACKAGE).joinpath(BUILTIN_FOLDER))


def _one_or_many(values: list[dict]) -> dict | list[dict]:
    return values[0] if len(values) == 1 else values


def _item_to_data(item: Item) -> dict:
    data: dict = {"id": item.id, "title": item.title, "level": item.level}
    if item.applies_when:
        data["applies_when"] = item.applies_when
    if item.sources:
        data["source"] = _one_or_many([vars(source) for source in item.sources])
    if item.automated:
        data["checks"] = list(item.checks)
        data["combine"] = item.combine
    else:
        data["manual"] = True
        if item.reattest_days is not None:
            data["reattest_days"] = item.reattest_days
        data["evidence_required"] = item.evidence_required
    if item.fix:
        data["fix"] = item.fix
    return data


def template_to_data(template: Template) -> dict:
    """The template as plain data in the stored key order (the inverse of ``template_from_data``)."""
    data: dict = {"slug": template.slug, "title": template.title, "version": template.version}
    if template.sources:
        data["source"] = _one_or_many([vars(ref) for ref in template.sources])
    if template.description:
        data["description"] = template.description
    data["categories"] = [
        {"id": c.id, "title": c.title, "items": [_item_to_data(item) for item in c.items]}
        for c in template.categories
    ]
    return data


def template_to_yaml(template: Template) -> str:
    """YAML for versioned storage; ``load_template`` reads it back to an equal ``Template``."""
    # A wide line keeps every quote on one line, so it can be grepped in the template and the seed.
    data = template_to_data(template)
    return yaml.dump(data, Dumper=_YAML_DUMPER, sort_keys=False, allow_unicode=True, width=1000)


def validate_check_ids(template: Template, known_ids: set[str]) -> list[str]:
    """Problems with the template's check ids (ids the engine does not know), one message each."""
    problems = []
    for c, category in enumerate(template.categories):
        for i, item in enumerate(category.items):
            for check_id in item.checks:
                if check_id not in known_ids:
                    problems.append(f"categories[{c}].items[{i}] ({item.id}): unknown check id {check_id!r}")
    return problems


__all__ = [
    "Category",
    "DocumentRef",
    "Item",
    "SourceRef",
    "Template",
    "TemplateError",
    "load_builtin_templates",
    "load_template",
    "load_templates_from",
    "template_from_data",
    "template_to_data",
    "template_to_yaml",
    "validate_check_ids",
    "validate_template_data",
]
