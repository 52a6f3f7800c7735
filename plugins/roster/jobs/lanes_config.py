"""The lanes of roster's pools.json (``roster/pools.json``, shipped in the package; ``roster pools`` prints it):
each pool with a ``priorities`` key is a lane of the job queue."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

from roster.jobs.lanes import parse_priorities

POOLS_FILE = resources.files("roster").joinpath("pools.json")


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
