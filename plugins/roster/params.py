"""How roster reads a list typed by a person: usernames, slugs or job ids, from a trigger form, the REST API, the
CLI or a job's parameters.

One rule everywhere: a list, or a string of items separated by commas, newlines or both (the trigger form's text
boxes send one item per line), each item stripped of surrounding whitespace, duplicates dropped. A string is never
a sequence of characters. An empty list, or a string of only separators, is an error: an empty scope never widens
to "all"; leave the param out (null) for that.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from roster.errors import InvalidOptionError

SEPARATORS = re.compile(r"[,\n\r]+")
# At least one character that is not a separator: "", ",,," and " \n " are refused by the schema itself.
_NOT_ONLY_SEPARATORS = r"[^,\s]"

NAME_LIST_SCHEMA: dict[str, Any] = {
    "type": ["null", "array", "string"],
    "pattern": _NOT_ONLY_SEPARATORS,
    "minItems": 1,
    "contains": {"type": "string", "pattern": _NOT_ONLY_SEPARATORS},
    "items": {"type": "string"},
}
ID_LIST_SCHEMA: dict[str, Any] = {
    "type": ["null", "array", "string"],
    "pattern": r"^[\s,]*[1-9][0-9]*([\s,]+[1-9][0-9]*)*[\s,]*$",
    "minItems": 1,
    "items": {"type": "integer", "minimum": 1},
}


def refuse_unknown(params: Mapping[str, Any], known: Mapping[str, Any] | list[str]) -> None:
    """Refuse a param name nobody reads (a typo must not silently widen a run), naming the known ones."""
    unknown = sorted(set(params) - set(known))
    if unknown:
        hints = [f"{name} (did you mean {close[0]}?)" if (close := difflib.get_close_matches(name, known, 1)) else name
                 for name in unknown]  # fmt: skip
        raise InvalidOptionError(f"unknown param(s) {', '.join(hints)}; known: {', '.join(known)}")


def split_list(value: Any, *, param: str) -> tuple[str, ...] | None:
    """The items of ``value`` (see the module docstring); ``None`` when ``value`` is ``None``."""
    if value is None:
        return None
    if isinstance(value, str):
        parts: Iterable[Any] = [value]
    elif isinstance(value, (list, tuple)):
        parts = value
    else:
        raise InvalidOptionError(f"param {param} must be a list of strings or a comma separated string, got {value!r}")
    items: dict[str, None] = {}
    for part in parts:
        if not isinstance(part, str):
            raise InvalidOptionError(f"param {param} must contain strings only, got {part!r}")
        for item in SEPARATORS.split(part):
            if item.strip():
                items[item.strip()] = None
    if not items:
        raise InvalidOptionError(
            f"param {param} is empty ({value!r}): give at least one name, or leave it out (null) for all"
        )
    return tuple(items)


def parse_ids(value: Any, *, param: str = "ids") -> list[int] | None:
    """Job ids: a list of positive integers, or a string of them separated by commas, spaces or newlines."""
    if value is None:
        return None
    if isinstance(value, str):
        parts: list[Any] = [part for part in re.split(r"[\s,]+", value) if part]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        raise InvalidOptionError(f"param {param} must be job ids (1,2,3), got {value!r}")
    ids: dict[int, None] = {}
    for part in parts:
        text = str(part).strip()
        # ASCII digits only ("²".isdigit() is true, int("²") fails), within id's BIGINT UNSIGNED
        if isinstance(part, bool) or not re.fullmatch(r"[0-9]{1,20}", text) or not 1 <= int(text) < 2**64:
            raise InvalidOptionError(f"param {param}: job id {part!r} is not a positive whole number")
        ids[int(text)] = None
    if not ids:
        raise InvalidOptionError(f"param {param} is empty ({value!r}): give job ids (1,2,3)")
    return list(ids)
