"""A small JSON Schema (2020-12) validator for the schemas the engine ships: the Compose
Specification and the ``.readiness.yml`` schema.

Why not ``jsonschema``: importing it (referencing, attrs, rpds, its format checkers) and building
a validator for the 56 KB Compose schema cost more than the rest of a small repository's scan, on
every start of ``readiness scan``. This module knows only the keywords those schemas use, refuses
a schema with any other (``SchemaUnsupported``, so a newer vendored schema cannot be half-checked
silently), and reports errors the way ``jsonschema`` does: the same messages, paths and
``best_match`` choice. tests/engine/test_schema_validator.py compares both over the corpus and
mutated files; ``jsonschema`` is a test dependency only.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator

# Keywords that never produce an error (annotations and structure).
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$defs", "$comment", "title", "description", "default", "deprecated", "examples"}
)
_CHECKED = frozenset(
    {
        "type",
        "$ref",
        "properties",
        "patternProperties",
        "additionalProperties",
        "unevaluatedProperties",
        "required",
        "items",
        "allOf",
        "anyOf",
        "oneOf",
        "enum",
        "minimum",
        "maximum",
        "minLength",
        "maxItems",
        "pattern",
        "uniqueItems",
    }
)
_WEAK = frozenset({"anyOf", "oneOf"})


class SchemaUnsupported(ValueError):
    """The schema uses a keyword this validator does not implement."""


class SchemaError:
    """One violation, shaped like ``jsonschema.ValidationError`` (the parts the engine reads).

    A plain class, not a dataclass: creating one at import costs start-up time."""

    __slots__ = ("context", "instance", "message", "parent", "path", "schema", "validator")

    def __init__(self, message: str, *, context: list[SchemaError] | None = None):
        self.message = message
        self.validator = ""  # the keyword that failed, as jsonschema names it (set by iter_errors)
        self.path: tuple = ()  # relative to the parent error's instance (absolute at top level)
        self.schema: dict | bool = True
        self.instance = None
        self.context: list[SchemaError] = context or []
        self.parent: SchemaError | None = None

    def __repr__(self) -> str:
        return f"<SchemaError {self.validator}: {self.message!r}>"

    @property
    def absolute_path(self) -> tuple:
        if self.parent is None:
            return self.path
        return (*self.parent.absolute_path, *self.path)


def is_type(instance, name: str) -> bool:
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "string":
        return isinstance(instance, str)
    if name == "boolean":
        return isinstance(instance, bool)
    if name == "null":
        return instance is None
    if isinstance(instance, bool):
        return False
    if name == "number":
        return isinstance(instance, int | float)
    if name == "integer":
        return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())
    raise SchemaUnsupported(f"unknown type {name!r}")


def _canonical(value):
    """A hashable form in which JSON-equal values are equal (True is not 1; 1.0 is 1)."""
    if isinstance(value, bool) or value is None:
        return ("const", value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return ("object", frozenset((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("array", tuple(_canonical(v) for v in value))
    return value


def _equal(a, b) -> bool:
    return _canonical(a) == _canonical(b)


def _extras(keys: list) -> str:
    verb = "was" if len(keys) == 1 else "were"
    return f"{', '.join(repr(k) for k in keys)} {verb}"


class Validator:
    def __init__(self, schema: dict, *, check_keywords: bool = True):
        """``check_keywords=False`` skips the walk over the whole schema (a few ms for Compose's),
        for a shipped schema whose keywords a test has already checked."""
        self.root = schema
        # (id(instance), id(schema)) -> valid?, for one top-level validation: unevaluatedProperties
        # asks again whether allOf/oneOf branches hold, and a service's branches are big.
        self._valid: dict[tuple[int, int], bool] = {}
        if check_keywords:
            self._check_keywords(schema)

    def _check_keywords(self, schema) -> None:
        if isinstance(schema, bool):
            return
        if not isinstance(schema, dict):
            raise SchemaUnsupported(f"a schema must be an object or a boolean, not {schema!r}")
        unknown = set(schema) - _ANNOTATIONS - _CHECKED
        if unknown:
            raise SchemaUnsupported(f"unsupported keywords {sorted(unknown)}")
        ref = schema.get("$ref")
        if ref is not None:
            self._resolve(ref)
        for key in ("properties", "patternProperties", "$defs"):
            for subschema in schema.get(key, {}).values():
                self._check_keywords(subschema)
        for key in ("additionalProperties", "unevaluatedProperties", "items"):
            if key in schema:
                self._check_keywords(schema[key])
        for key in ("allOf", "anyOf", "oneOf"):
            for subschema in schema.get(key, ()):
                self._check_keywords(subschema)

    def _resolve(self, ref: str):
        if not ref.startswith("#"):
            raise SchemaUnsupported(f"only local references are supported, not {ref!r}")
        node = self.root
        for part in ref[1:].split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            try:
                node = node[part]
            except (KeyError, TypeError):
                raise SchemaUnsupported(f"unresolvable reference {ref!r}") from None
        return node

    # Validation ---------------------------------------------------------------------------------

    def iter_errors(self, instance, schema=None) -> Iterator[SchemaError]:
        """Errors in the order jsonschema yields them: keywords in schema order, paths relative."""
        if schema is None:
            schema = self.root
            self._valid.clear()  # a new document: ids of the last one's parts may be reused
        if schema is True:
            return
        if schema is False:
            yield SchemaError(f"False schema does not allow {instance!r}")
            return
        for keyword, value in schema.items():
            check = _KEYWORDS.get(keyword)
            if check is None:
                continue
            for error in check(self, value, instance, schema):
                if not error.validator:
                    error.validator, error.schema, error.instance = keyword, schema, instance
                yield error

    def is_valid(self, instance, schema) -> bool:
        key = (id(instance), id(schema))
        valid = self._valid.get(key)
        if valid is None:
            valid = self._valid[key] = next(self.iter_errors(instance, schema), None) is None
        return valid

    def errors_of(self, instance, schema) -> list[SchemaError]:
        """All errors of ``instance`` under a subschema, remembering whether it was valid."""
        errors = list(self.iter_errors(instance, schema))
        self._valid[(id(instance), id(schema))] = not errors
        return errors

    def descend(self, instance, schema, path=None) -> Iterator[SchemaError]:
        for error in self.iter_errors(instance, schema):
            if path is not None:
                error.path = (path, *error.path)
            yield error

    def evaluated_keys(self, instance: dict, schema) -> set:
        """The keys of ``instance`` that ``schema`` evaluates (for unevaluatedProperties)."""
        if isinstance(schema, bool):
            return set()
        keys: set = set()
        if "$ref" in schema:
            keys |= self.evaluated_keys(instance, self._resolve(schema["$ref"]))
        if isinstance(schema.get("properties"), dict):
            keys |= schema["properties"].keys() & instance.keys()
        for keyword in ("additionalProperties", "unevaluatedProperties"):
            if keyword in schema:
                keys |= {k for k, v in instance.items() if self.is_valid(v, schema[keyword])}
        for pattern in schema.get("patternProperties", {}):
            keys |= {k for k in instance if re.search(pattern, k)}
        for keyword in ("allOf", "oneOf", "anyOf"):
            for subschema in schema.get(keyword, ()):
                if self.is_valid(instance, subschema):
                    keys |= self.evaluated_keys(instance, subschema)
        return keys


def _type(v: Validator, types, instance, schema):
    types = [types] if isinstance(types, str) else types
    if not any(is_type(instance, t) for t in types):
        yield SchemaError(f"{instance!r} is not of type {', '.join(repr(t) for t in types)}")


def _ref(v: Validator, ref, instance, schema):
    yield from v.iter_errors(instance, v._resolve(ref))


def _properties(v: Validator, properties, instance, schema):
    if isinstance(instance, dict):
        for name, subschema in properties.items():
            if name in instance:
                yield from v.descend(instance[name], subschema, path=name)


def _pattern_properties(v: Validator, patterns, instance, schema):
    if isinstance(instance, dict):
        for pattern, subschema in patterns.items():
            for key, value in instance.items():
                if re.search(pattern, str(key)):  # YAML can give number keys; JSON's are text
                    yield from v.descend(value, subschema, path=key)


def _additional(instance: dict, schema) -> list:
    properties = schema.get("properties", {})
    patterns = "|".join(schema.get("patternProperties", {}))
    return [k for k in instance if k not in properties and not (patterns and re.search(patterns, str(k)))]


def _additional_properties(v: Validator, allowed, instance, schema):
    if not isinstance(instance, dict):
        return
    extras = _additional(instance, schema)
    if isinstance(allowed, dict):
        for extra in extras:
            yield from v.descend(instance[extra], allowed, path=extra)
    elif not allowed and extras:
        if "patternProperties" in schema:
            verb = "does" if len(extras) == 1 else "do"
            joined = ", ".join(repr(each) for each in sorted(extras, key=str))
            patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
            yield SchemaError(f"{joined} {verb} not match any of the regexes: {patterns}")
        else:
            yield SchemaError(
                f"Additional properties are not allowed ({_extras(sorted(extras, key=str))} unexpected)"
            )


def _unevaluated_properties(v: Validator, allowed, instance, schema):
    if not isinstance(instance, dict):
        return
    # The common case, cheaply: every key is one this schema's own properties or patterns evaluate.
    properties, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    if all(key in properties or any(re.search(p, key) for p in patterns) for key in instance):
        return
    evaluated = v.evaluated_keys(instance, schema)
    unevaluated = [k for k in instance if k not in evaluated and not v.is_valid(instance[k], allowed)]
    if unevaluated:
        if allowed is False:
            yield SchemaError(
                f"Unevaluated properties are not allowed ({_extras(sorted(unevaluated, key=str))} unexpected)"
            )
        else:
            yield SchemaError(
                "Unevaluated properties are not valid under the given schema "
                f"({_extras(unevaluated)} unevaluated and invalid)"
            )


def _required(v: Validator, required, instance, schema):
    if isinstance(instance, dict):
        for name in required:
            if name not in instance:
                yield SchemaError(f"{name!r} is a required property")


def _items(v: Validator, items, instance, schema):
    if isinstance(instance, list):
        for index, item in enumerate(instance):
            yield from v.descend(item, items, path=index)


def _all_of(v: Validator, subschemas, instance, schema):
    for subschema in subschemas:
        yield from v.errors_of(instance, subschema)


def _any_of(v: Validator, subschemas, instance, schema):
    collected: list[SchemaError] = []
    for subschema in subschemas:
        errors = v.errors_of(instance, subschema)
        if not errors:
            return
        collected.extend(errors)
    yield _with_context(f"{instance!r} is not valid under any of the given schemas", collected)


def _one_of(v: Validator, subschemas, instance, schema):
    collected: list[SchemaError] = []
    first_valid = None
    rest = iter(subschemas)
    for subschema in rest:
        errors = v.errors_of(instance, subschema)
        if not errors:
            first_valid = subschema
            break
        collected.extend(errors)
    else:
        yield _with_context(f"{instance!r} is not valid under any of the given schemas", collected)
        return
    more_valid = [each for each in rest if v.is_valid(instance, each)]
    if more_valid:
        more_valid.append(first_valid)
        reprs = ", ".join(repr(each) for each in more_valid)
        yield SchemaError(f"{instance!r} is valid under each of {reprs}")


def _with_context(message: str, context: list[SchemaError]) -> SchemaError:
    error = SchemaError(message, context=context)
    for child in error.context:
        child.parent = error
    return error


def _enum(v: Validator, values, instance, schema):
    if not any(_equal(each, instance) for each in values):
        yield SchemaError(f"{instance!r} is not one of {values!r}")


def _minimum(v: Validator, minimum, instance, schema):
    if is_type(instance, "number") and instance < minimum:
        yield SchemaError(f"{instance!r} is less than the minimum of {minimum!r}")


def _maximum(v: Validator, maximum, instance, schema):
    if is_type(instance, "number") and instance > maximum:
        yield SchemaError(f"{instance!r} is greater than the maximum of {maximum!r}")


def _min_length(v: Validator, length, instance, schema):
    if isinstance(instance, str) and len(instance) < length:
        yield SchemaError(f"{instance!r} {'should be non-empty' if length == 1 else 'is too short'}")


def _max_items(v: Validator, count, instance, schema):
    if isinstance(instance, list) and len(instance) > count:
        yield SchemaError(f"{instance!r} {'is expected to be empty' if count == 0 else 'is too long'}")


def _pattern(v: Validator, pattern, instance, schema):
    if isinstance(instance, str) and not re.search(pattern, instance):
        yield SchemaError(f"{instance!r} does not match {pattern!r}")


def _unique_items(v: Validator, unique, instance, schema):
    if unique and isinstance(instance, list):
        seen = set()
        for item in instance:
            key = _canonical(item)
            if key in seen:
                yield SchemaError(f"{instance!r} has non-unique elements")
                return
            seen.add(key)


_KEYWORDS = {
    "type": _type,
    "$ref": _ref,
    "properties": _properties,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
    "unevaluatedProperties": _unevaluated_properties,
    "required": _required,
    "items": _items,
    "allOf": _all_of,
    "anyOf": _any_of,
    "oneOf": _one_of,
    "enum": _enum,
    "minimum": _minimum,
    "maximum": _maximum,
    "minLength": _min_length,
    "maxItems": _max_items,
    "pattern": _pattern,
    "uniqueItems": _unique_items,
}


# best_match, as jsonschema.exceptions.best_match ------------------------------------------------


def _matches_type(error: SchemaError) -> bool:
    if not isinstance(error.schema, dict) or "type" not in error.schema:
        return False
    expected = error.schema["type"]
    expected = [expected] if isinstance(expected, str) else expected
    return any(is_type(error.instance, t) for t in expected)


def relevance(error: SchemaError):
    return (-len(error.path), error.path, error.validator not in _WEAK, False, not _matches_type(error))


def best_match(errors) -> SchemaError | None:
    """The most relevant error: the shallowest, and inside anyOf/oneOf the deepest alternative."""
    best = max(errors, key=relevance, default=None)
    if best is None:
        return None
    while best.context:
        smallest = heapq.nsmallest(2, best.context, key=relevance)
        if len(smallest) == 2 and relevance(smallest[0]) == relevance(smallest[1]):
            return best
        best = smallest[0]
    return best
