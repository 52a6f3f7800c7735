"""What a warmup run covers: scope (usernames, line item slugs), paging (batch) and sharding (modulo, remainder).

One validation for every entry point: the DAG's params (whose JSON schema is :data:`PARAMS_SCHEMA`), the CLI and
the Python API, so the same bad input gets the same message wherever it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from roster.errors import InvalidOptionError
from roster.params import NAME_LIST_SCHEMA, refuse_unknown, split_list

MODES = ("sync", "async")
MAX_MODULO = 100
MAX_BATCH = 100_000
DEFAULT_BATCH = 1000
DEFAULT_MODULO = 4

# JSON schema of each DAG param; Airflow validates a trigger's conf with these before the run is created.
PARAMS_SCHEMA: dict[str, dict[str, Any]] = {
    "usernames": {
        **NAME_LIST_SCHEMA,
        "default": None,
        "title": "Usernames",
        "description": "Only these users: one per line or comma separated. Leave empty for every user.",
    },
    "line_item_slugs": {
        **NAME_LIST_SCHEMA,
        "default": None,
        "title": "Line item slugs",
        "description": "Only users with an assignment on one of these line items: one per line or comma separated. "
        "With usernames, a user must match both. Leave empty for no such filter.",
    },
    "batch": {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_BATCH,
        "default": DEFAULT_BATCH,
        "title": "Batch",
        "description": "Users per page: one database round trip and one Redis pipeline each.",
    },
    "modulo": {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_MODULO,
        "default": DEFAULT_MODULO,
        "title": "Modulo",
        "description": "Number of shards (users with id % modulo == remainder form one shard, one mapped task each).",
    },
    "remainder": {
        "type": ["null", "integer"],
        "minimum": 0,
        "maximum": MAX_MODULO - 1,
        "default": None,
        "title": "Remainder",
        "description": "Warm only this shard (0 <= remainder < modulo). Leave empty for every shard.",
    },
    "mode": {
        "type": "string",
        "enum": list(MODES),
        "default": "sync",
        "title": "Mode",
        "description": "sync: warm now. async: publish {'usernames': [...]} messages to ROSTER_WARMUP_QUEUE_URL.",
    },
}


def _int(value: Any, *, param: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        else:
            raise InvalidOptionError(f"param {param} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise InvalidOptionError(f"param {param}={value} is out of range: it must be between {low} and {high}")
    return value


@dataclass(frozen=True)
class WarmupOptions:
    """A validated warmup request. Build it with :meth:`from_params`; the constructor trusts its input."""

    usernames: tuple[str, ...] | None = None
    line_item_slugs: tuple[str, ...] | None = None
    batch: int = DEFAULT_BATCH
    modulo: int = DEFAULT_MODULO
    remainder: int | None = None
    mode: str = "sync"

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> WarmupOptions:
        """Validate DAG params / CLI options; raise :class:`InvalidOptionError` naming the param and the rule."""
        refuse_unknown(params, PARAMS_SCHEMA)
        modulo = _int(params.get("modulo", DEFAULT_MODULO), param="modulo", low=1, high=MAX_MODULO)
        remainder = params.get("remainder")
        if remainder is not None:
            remainder = _int(remainder, param="remainder", low=0, high=MAX_MODULO - 1)
            if remainder >= modulo:
                raise InvalidOptionError(f"param remainder={remainder} must be less than modulo={modulo}")
        mode = params.get("mode") or "sync"
        if mode not in MODES:
            raise InvalidOptionError(f"param mode={mode!r} must be one of {', '.join(MODES)}")
        return cls(
            usernames=split_list(params.get("usernames"), param="usernames"),
            line_item_slugs=split_list(params.get("line_item_slugs"), param="line_item_slugs"),
            batch=_int(params.get("batch", DEFAULT_BATCH), param="batch", low=1, high=MAX_BATCH),
            modulo=modulo,
            remainder=remainder,
            mode=mode,
        )

    @property
    def remainders(self) -> list[int]:
        """The shards this request covers."""
        return [self.remainder] if self.remainder is not None else list(range(self.modulo))

    def to_params(self) -> dict[str, Any]:
        """JSON-able form (for XCom and task arguments); :meth:`from_params` reads it back."""
        params = asdict(self)
        for key in ("usernames", "line_item_slugs"):
            if params[key] is not None:
                params[key] = list(params[key])
        return params
