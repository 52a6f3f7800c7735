"""The user cache warmup, independent of Airflow: options, documents, the shard runner and async messages."""

from __future__ import annotations

from roster.connections import redis_for
from roster.warmup.options import PARAMS_SCHEMA, WarmupOptions
from roster.warmup.shard import ShardResult, UserCacheWarmer

__all__ = ["PARAMS_SCHEMA", "ShardResult", "UserCacheWarmer", "WarmupOptions", "redis_for"]
