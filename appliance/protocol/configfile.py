"""Settings files read through pydantic models: one error type, one wording.

A settings file (`devices.toml`, `till.json`'s settings, `server.json`) or a
headless command that cannot be used raises `ConfigError`, whose message names
the file (or the command) and the key, and says what is expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

__all__ = ["ConfigError", "first_error", "reason"]

_TYPES = {
    "string_type": "a text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "float_type": "a number",
    "float_parsing": "a number",
    "list_type": "a list",
}


class ConfigError(ValueError):
    """A settings file or a command that cannot be used: `source` (the file or the
    command), `key` (dotted, "" for the whole) and `why`, all in the message."""

    def __init__(self, source: str, key: str, why: str) -> None:
        self.source, self.key, self.why = source, key, why
        super().__init__(f"{source}: {key}: {why}" if key else f"{source}: {why}")


def _choices(expected: str) -> str:
    """pydantic's "'us', 'fr' or 'be'" as "us, fr, be"."""
    return expected.replace(" or ", ", ").replace("'", "")


def reason(error: Any, *, table: str = "an object") -> str:
    """What is wrong, in the shop's words, for one of `ValidationError.errors()`."""
    kind, value = error["type"], error.get("input")
    ctx = error.get("ctx") or {}
    if kind in ("missing", "missing_argument", "union_tag_not_found"):
        return "missing"
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        return "unknown key"
    if kind == "literal_error":
        return f"{value!r} is not one of {_choices(str(ctx.get('expected', '')))}"
    if kind == "union_tag_invalid":
        return f"{ctx.get('tag')!r} is not one of {_choices(str(ctx.get('expected_tags', '')))}"
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind in ("dict_type", "model_type", "model_attributes_type", "dataclass_type"):
        return f"must be {table}, not {value!r}"
    if kind == "union_types":
        return f"must be {error['expected']}, not {value!r}"
    if kind in _TYPES:
        return f"must be {_TYPES[kind]}, not {value!r}"
    return str(error.get("msg", kind))


_UNKNOWN = ("extra_forbidden", "unexpected_keyword_argument")
_MEMBERS = {"str", "int", "float", "bool", "list", "dict", "none"}


def _where(loc: Sequence[Any]) -> tuple[Any, ...]:
    """A location without the members of a union pydantic tried (`percent.int`)."""
    return tuple(
        p for p in loc if not (isinstance(p, str) and (p in _MEMBERS or p.startswith("function-")))
    )


def first_error(e: ValidationError) -> tuple[Sequence[Any], Any]:
    """The first mistake of a validation: (its location, the error). A key unknown
    comes first (misspelt, it is why the right one is missing); a value that is
    none of a union's types says every type it may be."""
    errors = sorted(e.errors(), key=lambda err: err["type"] not in _UNKNOWN)
    loc = _where(errors[0]["loc"])
    same = [err for err in errors if _where(err["loc"]) == loc]
    if len(same) > 1 and all(err["type"] in _TYPES for err in same):
        expected = " or ".join(dict.fromkeys(_TYPES[err["type"]] for err in same))
        return loc, {"type": "union_types", "expected": expected, "input": same[0].get("input")}
    return loc, errors[0]
