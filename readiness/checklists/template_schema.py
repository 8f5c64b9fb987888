"""The JSON Schema of a checklist template, and the limits every loader enforces.

The schema is the contract for templates stored as YAML (built-in ones and ones a lead uploads).
Rules JSON Schema cannot say (unique ids) are checked in ``template_format``.
"""

from __future__ import annotations

from .applicability import DATASTORE_KINDS, FILES, STACKS

# Limits: a template is small data; anything bigger is a mistake or an attack.
MAX_TEMPLATE_BYTES = 1024 * 1024
MAX_YAML_DEPTH = 20  # a template nests 7 levels deep
MAX_CATEGORIES = 100
MAX_ITEMS_PER_CATEGORY = 500
MAX_TITLE_CHARS = 200
MAX_TEXT_CHARS = 4000

LEVELS = ("bronze", "silver", "gold")
COMBINE_MODES = ("all", "any")

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
CHECK_ID_PATTERN = r"^[a-z0-9_]+(?:\.[a-z0-9_]+)+$"

_TITLE = {"type": "string", "minLength": 1, "maxLength": MAX_TITLE_CHARS, "pattern": r"\S"}
_TEXT = {"type": "string", "maxLength": MAX_TEXT_CHARS}
_SLUG = {"type": "string", "minLength": 1, "maxLength": 80, "pattern": SLUG_PATTERN}
_DOCUMENT_ID = {"type": "string", "minLength": 1, "maxLength": 40, "pattern": r"^[A-Za-z0-9._-]+$"}

_DOCUMENT_REF = {
    "type": "object",
    "additionalProperties": False,
    "required": ["document", "title"],
    "properties": {"document": _DOCUMENT_ID, "title": _TITLE},
}

# Where an item comes from: the document, its heading, and the exact line.
_ITEM_SOURCE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["document", "section", "quote"],
    "properties": {
        "document": _DOCUMENT_ID,
        "section": _TITLE,
        "quote": {"type": "string", "minLength": 1, "maxLength": 1000},
    },
}


def _one_or_many(schema: dict) -> dict:
    # Most things have one source; merged items list several.
    return {
        "description": "one mapping or a list of them",
        "oneOf": [schema, {"type": "array", "minItems": 1, "maxItems": 50, "items": schema}],
    }


def _value_or_list(schema: dict) -> dict:
    return {
        "description": "one value or a list of them",
        "oneOf": [
            schema,
            {"type": "array", "minItems": 1, "maxItems": 50, "uniqueItems": True, "items": schema},
        ],
    }


_CONDITIONS = {"type": "array", "minItems": 1, "maxItems": 20, "items": {"$ref": "#/$defs/condition"}}
# When an item applies (readiness/checklists/applicability.py): facts the engine reports.
CONDITION_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "stack": _value_or_list({"enum": list(STACKS)}),
        "datastore": _value_or_list({"enum": list(DATASTORE_KINDS)}),
        "file": _value_or_list({"enum": list(FILES)}),
        "dependency": _value_or_list(
            {
                "type": "string",
                "minLength": 1,
                "maxLength": 200,
                "pattern": r"^[A-Za-z0-9@][A-Za-z0-9._~/@-]*$",
            }
        ),
        "compose": {"type": "boolean"},
        "dockerfile": {"type": "boolean"},
        "any": _CONDITIONS,
        "all": _CONDITIONS,
        "not": {"$ref": "#/$defs/condition"},
    },
}

_ITEM = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "title", "level"],
    "properties": {
        "id": _SLUG,
        "title": _TITLE,
        "source": _one_or_many(_ITEM_SOURCE),
        "level": {"enum": list(LEVELS)},
        "checks": {
            "type": "array",
            "minItems": 1,
            "maxItems": 20,
            "uniqueItems": True,
            "items": {"type": "string", "maxLength": 100, "pattern": CHECK_ID_PATTERN},
        },
        "combine": {"enum": list(COMBINE_MODES)},
        "manual": {"const": True},
        "reattest_days": {"type": "integer", "minimum": 1, "maximum": 3650},
        "evidence_required": {"type": "boolean"},
        "fix": _TEXT,
        "applies_when": {"$ref": "#/$defs/condition"},
    },
    # Either automated (checks decide the status) or manual (an engineer ticks it), never both.
    "description": (
        "an item is either automated (checks, and optionally combine) or manual (manual: true, and "
        "optionally reattest_days and evidence_required), never both"
    ),
    "oneOf": [
        {
            "required": ["checks"],
            "not": {
                "anyOf": [
                    {"required": ["manual"]},
                    {"required": ["reattest_days"]},
                    {"required": ["evidence_required"]},
                ]
            },
        },
        {"required": ["manual"], "not": {"anyOf": [{"required": ["checks"]}, {"required": ["combine"]}]}},
    ],
}

_CATEGORY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "title", "items"],
    "properties": {
        "id": _SLUG,
        "title": _TITLE,
        "items": {"type": "array", "minItems": 1, "maxItems": MAX_ITEMS_PER_CATEGORY, "items": _ITEM},
    },
}

TEMPLATE_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Readiness checklist template",
    "type": "object",
    "additionalProperties": False,
    "required": ["slug", "title", "version", "categories"],
    "$defs": {"condition": CONDITION_SCHEMA},
    "properties": {
        "slug": _SLUG,
        "title": _TITLE,
        "version": {"type": "integer", "minimum": 1},
        "source": _one_or_many(_DOCUMENT_REF),
        "description": _TEXT,
        "categories": {"type": "array", "minItems": 1, "maxItems": MAX_CATEGORIES, "items": _CATEGORY},
    },
}
