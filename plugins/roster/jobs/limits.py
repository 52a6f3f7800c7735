"""The limits of a job, checked before the database sees it: each refusal is one line naming the field.

Lengths follow the ``background_job`` columns (characters, utf8mb4), numbers the column types; a job must be
claimable by some lane of include/pools.json and its parameters must fit its callback's signature. Pure: no I/O
beyond reading pools.json once.
"""

from __future__ import annotations

import functools
import inspect
import math
import operator
import os
from collections.abc import Callable
from typing import Any

from roster.errors import InvalidOptionError
from roster.jobs.errors import JobParametersError
from roster.jobs.lanes import HIGHEST, LOWEST

TEXT_COLUMNS = 191  # queue, callback_name, serial_group, identifier: VARCHAR(191)
UNIQUE_KEY_COLUMN = 255  # unique_key = queue + 1 + identifier
MAX_DELAY_SECONDS = 10 * 366 * 86400  # ten years: later than that is a mistake, and DATETIME ends in 9999
DEFAULT_MAX_PARAMETERS_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 31  # the document's object counts as one level; MariaDB's JSON_VALID refuses deeper


def text(field: str, value: str | None, *, max_chars: int = TEXT_COLUMNS, required: bool = False) -> str | None:
    """``value`` if it is a string of valid UTF-8 of at most ``max_chars`` characters (``None`` unless required)."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidOptionError(f"{field} must be a non-empty string, got {value!r}"[:300])
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidOptionError(f"{field} is not valid UTF-8 text: {value!r}"[:300]) from None
    if len(value) > max_chars:
        raise InvalidOptionError(f"{field} is {len(value)} characters long; at most {max_chars} fit")
    return value


def number(field: str, value: Any, *, low: float = 0, high: float = math.inf) -> float:
    """A finite real ``value`` within ``[low, high]`` (NaN and infinities are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidOptionError(f"{field} must be a number, got {value!r}"[:300])
    if not math.isfinite(value) or not low <= value <= high:
        raise InvalidOptionError(f"{field}={value} is out of range: it must be a finite number from {low} to {high}")
    return value


def whole(field: str, value: Any, *, low: int = LOWEST, high: int = HIGHEST) -> int:
    """An integer (not a bool, float or string) within ``[low, high]``."""
    try:
        result = operator.index(value) if not isinstance(value, bool) else None
    except TypeError:
        result = None
    if result is None:
        raise InvalidOptionError(f"{field} must be a whole number, got {value!r}"[:300])
    if not low <= result <= high:
        raise InvalidOptionError(f"{field}={result} is out of range: it must be from {low} to {high}")
    return result


def priority(value: Any, lanes: dict[str, tuple[int, int]]) -> int:
    """A priority some lane covers (when include/pools.json has lanes): otherwise no consumer would ever claim it."""
    result = whole("priority", value)
    if lanes and not any(low <= result <= high for low, high in lanes.values()):
        listed = ", ".join(f"{name} {_span(low, high)}" for name, (low, high) in lanes.items())
        raise InvalidOptionError(f"priority {result} is in no lane of include/pools.json ({listed}); no consumer would claim it")
    return result


def _span(low: int, high: int) -> str:
    return f"{'' if low == LOWEST else low}-{'' if high == HIGHEST else high}" if low != high else str(low)


def max_parameters_bytes() -> int:
    """``ROSTER_JOB_MAX_PARAMETERS_BYTES`` (default 1 MiB): the largest parameter document a job may carry."""
    raw = os.environ.get("ROSTER_JOB_MAX_PARAMETERS_BYTES", "").strip()
    try:
        value = int(raw) if raw else DEFAULT_MAX_PARAMETERS_BYTES
    except ValueError:
        value = 0
    if value <= 0:
        raise InvalidOptionError(f"environment variable ROSTER_JOB_MAX_PARAMETERS_BYTES={raw!r} must be a positive whole number")
    return value


def parameters(func: Callable[..., Any], name: str, values: dict[str, Any] | None, document: str) -> None:
    """The parameters fit the callback's signature, hold no NaN or infinity, are not nested too deep, and their
    JSON ``document`` is not over the size limit."""
    size, limit = len(document.encode("utf-8")), max_parameters_bytes()
    if size > limit:
        raise JobParametersError(f"parameters of {name!r} are {size} bytes of JSON; at most {limit} (ROSTER_JOB_MAX_PARAMETERS_BYTES)")
    problem = _unstorable(values or {})
    if problem:
        raise JobParametersError(f"{problem}, in the parameters of {name!r}")
    try:
        _signature(func).bind(**(values or {}))
    except TypeError as exc:
        raise JobParametersError(f"parameters of {name!r} do not fit {name}{_signature(func)}: {exc}") from None


@functools.cache
def _signature(func: Callable[..., Any]) -> inspect.Signature:
    """The callback's signature without annotations: ``record(key, sleep=0.0)`` reads well in an error."""
    signature = inspect.signature(func)
    bare = [parameter.replace(annotation=inspect.Parameter.empty) for parameter in signature.parameters.values()]
    return signature.replace(parameters=bare, return_annotation=inspect.Signature.empty)


def _unstorable(value: Any, path: str = "", depth: int = 1) -> str | None:
    """What in a parameter document JSON or MariaDB cannot hold (a NaN or infinity, nesting deeper than
    :data:`MAX_JSON_DEPTH`), with its path (``a.b[2]``); ``None`` when all is well."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"parameter {path or '(top)'} is not a finite number (JSON has no NaN or Infinity)"
    if not isinstance(value, (dict, list)):
        return None
    if depth > MAX_JSON_DEPTH:
        return f"parameter {path} is nested deeper than {MAX_JSON_DEPTH} levels (MariaDB's JSON limit)"
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        found = _unstorable(item, f"{path}.{key}".lstrip(".") if isinstance(key, str) else f"{path}[{key}]", depth + 1)
        if found:
            return found
    return None


def job(*, queue: str, callback_name: str, serial_group: str | None, identifier: str | None, unique: bool,
        delay: float | None) -> None:  # fmt: skip
    """The text fields fit their columns (and a unique job's key fits ``unique_key``); a delay is finite and
    under ten years."""
    text("queue", queue, required=True)
    text("callback", callback_name, required=True)
    text("serial_group", serial_group)
    text("identifier", identifier)
    if unique and len(queue) + 1 + len(identifier or "") > UNIQUE_KEY_COLUMN:
        raise InvalidOptionError(
            f"queue and identifier of a unique job are {len(queue) + len(identifier or '')} characters together; "
            f"at most {UNIQUE_KEY_COLUMN - 1} fit unique_key"
        )
    if delay is not None:
        number("delay", delay, high=MAX_DELAY_SECONDS)
