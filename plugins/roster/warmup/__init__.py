"""The user cache warmup, independent of Airflow: options, documents, the shard runner and async messages."""

from __future__ import annotations

from roster.warmup.options import PARAMS_SCHEMA, WarmupOptions
from roster.warmup.shard import ShardResult, UserCacheWarmer
from roster.warmup.writer import redis_for

__all__ = ["PARAMS_SCHEMA", "ShardResult", "UserCacheWarmer", "WarmupOptions", "redis_for"]
