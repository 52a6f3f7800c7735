"""The lanes of include/pools.json: each pool with a ``priorities`` key is a lane of the job queue."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from roster.jobs.lanes import parse_priorities

POOLS_FILE = Path(__file__).resolve().parents[3] / "include" / "pools.json"


@functools.cache
def lane_specs(path: str = str(POOLS_FILE)) -> dict[str, dict]:
    """``{pool: {"slots", "priorities", "description"}}`` for every lane; read from a local file only."""
    pools = json.loads(Path(path).read_text(encoding="utf-8"))
    return {
        name: {"slots": int(pool["slots"]), "priorities": pool["priorities"], "description": pool.get("description", "")}
        for name, pool in pools.items()
        if "priorities" in pool
    }


@functools.cache
def lanes(path: str = str(POOLS_FILE)) -> Mapping[str, tuple[int, int]]:
    """``{pool: (low, high)}`` for every lane; parsed once (every publish checks its priority against them)."""
    return MappingProxyType({name: parse_priorities(spec["priorities"]) for name, spec in lane_specs(path).items()})
