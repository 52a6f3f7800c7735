"""The limits of a job, checked before the database sees it: each refusal is one line naming the field.

Lengths follow the ``background_job`` columns (characters, utf8mb4), numbers the column types; a job must be
claimable by some lane of roster/pools.json and its parameters must fit its callback's signature (read once per
callback). Pure: no I/O beyond reading pools.json once.
"""

from __future__ import annotations

import functools
import inspect
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from roster import settings
from roster.errors import InvalidOptionError
from roster.jobs.outcome_errors import JobParametersError
from roster.jobs.lanes import HIGHEST, LOWEST
from roster.params import refuse_unknown

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
    if not value.isascii():
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
        upto = f" to {high}" if math.isfinite(high) else ""
        raise InvalidOptionError(f"{field}={value} is out of range: it must be a finite number from {low}{upto}")
    return value


def whole(field: str, value: Any, *, low: int = LOWEST, high: int = HIGHEST) -> int:
    """An integer (not a bool, float or string) within ``[low, high]``."""
    if type(value) is int:  # the common case, and not a bool
        result = value
    else:
        try:
            result = operator.index(value) if not isinstance(value, bool) else None
        except TypeError:
            result = None
    if result is None:
        raise InvalidOptionError(f"{field} must be a whole number, got {value!r}"[:300])
    if not low <= result <= high:
        raise InvalidOptionError(f"{field}={result} is out of range: it must be from {low} to {high}")
    return result


def priority(value: Any, lanes: Mapping[str, tuple[int, int]]) -> int:
    """A priority some lane covers (when roster/pools.json has lanes): otherwise no consumer would ever claim it."""
    result = whole("priority", value)
    for low, high in lanes.values():
        if low <= result <= high:
            return result
    if lanes:
        listed = ", ".join(f"{name} {_span(low, high)}" for name, (low, high) in lanes.items())
        raise InvalidOptionError(f"priority {result} is in no lane of roster/pools.json ({listed}); no consumer would claim it")
    return result


def _span(low: int, high: int) -> str:
    return f"{'' if low == LOWEST else low}-{'' if high == HIGHEST else high}" if low != high else str(low)


def max_parameters_bytes() -> int:
    """``ROSTER_JOB_MAX_PARAMETERS_BYTES`` (default 1 MiB): the largest parameter document a job may carry."""
    return _parse_max_bytes(settings.job_max_parameters_bytes_raw())


@functools.lru_cache(maxsize=8)
def _parse_max_bytes(raw: str) -> int:
    """Read once per value of the variable (a refusal is not cached: it raises)."""
    try:
        value = int(raw.strip()) if raw.strip() else DEFAULT_MAX_PARAMETERS_BYTES
    except ValueError:
        value = 0
    if value <= 0:
        raise InvalidOptionError(f"environment variable ROSTER_JOB_MAX_PARAMETERS_BYTES={raw.strip()!r} must be a positive whole number")
    return value


def parameters(name: str, values: dict[str, Any], document: bytes) -> None:
    """The JSON ``document`` of ``values`` (orjson's) is not over the size limit, and the values hold no NaN or
    infinity and are not nested too deep. The values are walked only when the document says they may be wrong:
    orjson writes NaN and infinities as ``null``, and a document nested deeper than :data:`MAX_JSON_DEPTH` has
    more opening brackets than that."""
    size, limit = len(document), max_parameters_bytes()
    if size > limit:
        raise JobParametersError(f"parameters of {name!r} are {size} bytes of JSON; at most {limit} (ROSTER_JOB_MAX_PARAMETERS_BYTES)")
    if b"null" in document or document.count(b"[") + document.count(b"{") > MAX_JSON_DEPTH:
        problem = _unstorable(values)
        if problem:
            raise JobParametersError(f"{problem}, in the parameters of {name!r}")


@dataclass(frozen=True)
class Signature:
    """What a callback's keyword arguments may be, read once per function (``inspect.signature`` is slow)."""

    text: str  # ``(key, sleep=0.0)``, without annotations: reads well in an error
    known: tuple[str, ...]  # the names a keyword argument binds to, in order
    accepted: frozenset[str]  # the same, to compare with the given names
    required: tuple[str, ...]  # those without a default
    any_name: bool  # it takes **kwargs
    positional_only: bool  # some parameter cannot be given by name: inspect's bind decides


@functools.cache
def signature(func: Callable[..., Any]) -> Signature:
    """The :class:`Signature` of ``func``, computed on its first job and kept."""
    full = inspect.signature(func)
    bare = [p.replace(annotation=inspect.Parameter.empty) for p in full.parameters.values()]
    named = [p for p in bare if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return Signature(
        text=str(full.replace(parameters=bare, return_annotation=inspect.Signature.empty)),
        known=tuple(p.name for p in named), accepted=frozenset(p.name for p in named),
        required=tuple(p.name for p in named if p.default is p.empty),
        any_name=any(p.kind is p.VAR_KEYWORD for p in bare),
        positional_only=any(p.kind is p.POSITIONAL_ONLY for p in bare),
    )  # fmt: skip


def fit(func: Callable[..., Any], values: dict[str, Any]) -> None:
    """``func(**values)`` binds: no name it does not take (a typo), none it needs missing; the message names them."""
    shape = signature(func)
    if not shape.any_name and not values.keys() <= shape.accepted:
        strange = [name for name in values.keys() - shape.accepted if not isinstance(name, str)]
        if strange:
            raise InvalidOptionError(f"parameter names must be strings (JSON object keys), got {strange[0]!r}"[:300])
        refuse_unknown(values, list(shape.known))
    missing = [name for name in shape.required if name not in values]
    if missing:
        raise InvalidOptionError(f"missing param(s) {', '.join(missing)}")
    if shape.positional_only:  # rare: let inspect say what does not bind
        try:
            inspect.signature(func).bind(**values)
        except TypeError as exc:
            raise InvalidOptionError(f"parameters do not fit {func.__name__}{shape.text}: {exc}") from None


def _unstorable(value: Any, path: str = "", depth: int = 1) -> str | None:
    """What in a parameter document JSON or MariaDB cannot hold (a NaN or infinity, nesting deeper than
    :data:`MAX_JSON_DEPTH`), with its path (``a.b[2]``); ``None`` when all is well."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"parameter {path or '(top)'} is not a finite number (JSON has no NaN or Infinity)"
    if not isinstance(value, (dict, list, tuple)):  # orjson writes a tuple as a list
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
