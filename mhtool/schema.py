"""Check an input's structure against a JSON Schema shipped in the package (mhtool/schemas/).

Structure (which keys, which types, which words) is declared once per input shape in
``mhtool/schemas/<name>.schema.json``, so planners also get completion and checking in
their editor (a ``#:schema`` line in a TOML file, or a JSON Schema-aware editor). Rules that
relate one field to another stay in Python beside the loader. This module is the adapter:
the first error becomes the project's ``InputError`` naming the file, the row and the field,
worded for a planner rather than in the validator's terms.

Usage: ``validate(data, "catalogue", file=path, locate=...)``, where ``locate`` turns the
path of the offending value (e.g. ``("ambition", 3, "values", 0, "value")``) into the row
and field to report; the default reports no row and the whole path as the field.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from importlib import resources
from pathlib import Path

from mhtool import userfiles
from mhtool.errors import InputError

Locate = Callable[[Sequence], tuple[object, str | None]]

_TYPES = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a table",
}


@cache
def schema(name: str) -> dict:
    """The shipped schema ``mhtool/schemas/<name>.schema.json``."""
    text = resources.files("mhtool").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


def names() -> list[str]:
    """Every shipped schema's name."""
    folder = resources.files("mhtool").joinpath("schemas")
    return sorted(
        p.name.removesuffix(".schema.json")
        for p in folder.iterdir()
        if p.name.endswith(".schema.json")
    )


@cache
def _validator(name: str):
    # imported here: only loaders need them, not `mhtool --help`
    import jsonschema
    from referencing import Registry, Resource

    registry = Registry().with_resources(
        (f"{n}.schema.json", Resource.from_contents(schema(n))) for n in names()
    )
    cls = jsonschema.validators.validator_for(schema(name))
    cls.check_schema(schema(name))
    return cls(schema(name), registry=registry)


def field_path(path: Sequence) -> str | None:
    """``("values", 0, "value")`` -> ``values[0].value`` (None for the empty path)."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or None


def _default_locate(path: Sequence) -> tuple[object, str | None]:
    return None, field_path(path)


def validate(data, name: str, *, file, locate: Locate = _default_locate) -> None:
    """Raise InputError for the first place ``data`` breaks schema ``name`` (in document
    order), or return quietly."""
    errors = sorted(_validator(name).iter_errors(data), key=_order)
    if not errors:
        return
    error = errors[0]
    path, message = _explain(error)
    row, field = locate(path)
    raise InputError(message, file=None if file is None else str(file), row=row, field=field)


def _order(error) -> tuple:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in error.path)


def _explain(error) -> tuple[list, str]:
    """The path to report and a planner's wording for one validation error."""
    path = list(error.path)
    hint = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    kind, value = error.validator, error.instance
    if "propertyNames" in error.schema_path:
        allowed = ", ".join(sorted(error.validator_value)) if kind == "enum" else ""
        return path + [value], f"unknown field; allowed: {allowed}"
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed)) if isinstance(value, dict) else []
        word = error.schema.get("x-unknown", "field")
        return path + extra[:1], f"unknown {word}; allowed: {', '.join(allowed)}"
    if kind == "required":
        missing = [k for k in error.validator_value if k not in value]
        spec = error.schema.get("properties", {}).get(missing[0], {})
        return path + missing[:1], _required(missing[0], spec)
    if hint:
        return path, hint
    name = path[-1] if path and isinstance(path[-1], str) else "value"
    if kind == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        return path, f"unknown {name} {value!r}; allowed: {allowed}"
    if kind == "type":
        wanted = error.validator_value
        wanted = [wanted] if isinstance(wanted, str) else wanted
        words = " or ".join(_TYPES.get(w, w) for w in wanted)
        if wanted == ["number"]:
            return path, f"{name} {value!r} is not a number"
        return path, f"must be {words}, not {value!r}"
    if kind == "minLength":
        return path, "must be a non-empty string"
    if kind == "pattern":
        return path, f"{value!r} does not have the expected form"
    if kind in ("minimum", "exclusiveMinimum"):
        return path, f"{value!r} is below the smallest allowed value {error.validator_value}"
    if kind in ("maximum", "exclusiveMaximum"):
        return path, f"{value!r} is above the largest allowed value {error.validator_value}"
    return path, error.message


def _required(name: str, spec: dict) -> str:
    """Why a missing field is needed and, for a closed set, what it may be, with an
    example line to copy."""
    if spec.get("x-message") and "enum" not in spec:
        return spec["x-message"]
    words = ["is required"]
    if spec.get("x-required"):
        words.append(f" ({spec['x-required']})")
    if "enum" in spec:
        words.append(f"; allowed: {', '.join(map(str, spec['enum']))}")
    example = (spec.get("examples") or spec.get("enum") or [None])[0]
    if isinstance(example, str):
        words.append(f'; e.g. {name} = "{example}"')
    return "".join(words)


def read_csv_rows(path: Path, schema_name: str) -> Iterator[tuple[int, dict]]:
    """(line number, row) for every row of a UTF-8 CSV whose header fits the schema: its
    `required` columns, its other `properties` as optional ones, and any further column
    only where `additionalProperties` allows it. Streamed by mhtool.userfiles.rows, so the
    first bad row stops the read."""
    columns = schema(schema_name)
    required = list(columns["required"])
    optional = [c for c in columns.get("properties", {}) if c not in required]
    others = columns.get("additionalProperties", True) is not False
    return userfiles.rows(path, required, optional, others=others)
