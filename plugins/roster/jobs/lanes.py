"""Lanes: the pools of roster's pools.json (``roster/pools.json``, shipped in the package; ``roster pools`` prints
it) that have a ``priorities`` key, each a range of priorities in adt/background-queue's ``-p`` syntax (``10``,
``20-40``, ``25-``, ``-20``)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

from roster.errors import InvalidOptionError

LOWEST = -(2**31)
HIGHEST = 2**31 - 1
POOLS_FILE = resources.files("roster").joinpath("pools.json")


def parse_priorities(spec: str | None) -> tuple[int, int]:
    """``(low, high)``, both inclusive. ``None`` or ``""`` is every priority."""
    if spec is None or not str(spec).strip():
        return LOWEST, HIGHEST
    text = str(spec).strip()
    match = re.fullmatch(r"(\d+)?(-)?(\d+)?", text)
    if not match or not (match.group(1) or match.group(3)) or (match.group(3) and not match.group(2)):
        raise InvalidOptionError(f"priorities {spec!r}: expected N, N-M, N- or -M (for example 10, 20-40, 25-, -20)")
    low, dash, high = match.groups()
    if not dash:
        return int(low), int(low)
    result = (int(low) if low else LOWEST, int(high) if high else HIGHEST)
    if result[0] > result[1]:
        raise InvalidOptionError(f"priorities {spec!r}: the range is empty ({result[0]} > {result[1]})")
    return result


def pools_json() -> str:
    """The text of roster's pools.json: Airflow's ``airflow pools import`` format, plus each lane's ``priorities``."""
    return POOLS_FILE.read_text(encoding="utf-8")


@functools.cache
def lane_specs() -> dict[str, dict]:
    """``{pool: {"slots", "priorities", "description"}}`` for every lane; read from the package only."""
    pools = json.loads(pools_json())
    return {
        name: {"slots": int(pool["slots"]), "priorities": pool["priorities"], "description": pool.get("description", "")}
        for name, pool in pools.items()
        if "priorities" in pool
    }


@functools.cache
def lanes() -> Mapping[str, tuple[int, int]]:
    """``{pool: (low, high)}`` for every lane; parsed once (every publish checks its priority against them)."""
    return MappingProxyType({name: parse_priorities(spec["priorities"]) for name, spec in lane_specs().items()})
