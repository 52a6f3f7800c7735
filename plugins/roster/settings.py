"""Settings of SPEC.md that come from the environment (or, where the spec allows, an Airflow Variable).

Everything here is read when called, never at import time, so DAG files stay free of I/O at parse time.
"""

from __future__ import annotations

import os

from roster.errors import InvalidOptionError

DB_CONN_ID = "roster_db"
REDIS_CONN_ID = "roster_redis"
SQS_CONN_ID = "roster_sqs"

WARMUP_POOL = "roster_cache_warmup"
MAX_READ_CONNECTIONS = 8


def _int_env(name: str, default: int, high: int | None = None) -> int:
    """A positive whole number from the environment variable ``name`` (``default`` when unset), at most ``high``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidOptionError(f"environment variable {name}={raw!r} must be a whole number") from None
    if value <= 0:
        raise InvalidOptionError(f"environment variable {name}={raw!r} must be positive")
    if high is not None and value > high:
        raise InvalidOptionError(f"environment variable {name}={value} must be between 1 and {high}")
    return value


def number_env(name: str, default: float, *, low: float = 0.0, high: float | None = None) -> float:
    """A number from the environment variable ``name`` (``default`` when unset), refused naming it outside
    ``low``..``high``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidOptionError(f"environment variable {name}={raw!r} must be a number") from None
    if value < low or (high is not None and value > high):
        raise InvalidOptionError(f"environment variable {name}={raw!r} must be between {low:g} and {high or 'inf'}")
    return value


def job_modules() -> list[str]:
    """``ROSTER_JOB_MODULES``: the modules (comma separated) that register job callbacks."""
    return [name.strip() for name in os.environ.get("ROSTER_JOB_MODULES", "").split(",") if name.strip()]


def job_max_parameters_bytes_raw() -> str:
    """``ROSTER_JOB_MAX_PARAMETERS_BYTES`` as written (parsed and checked by roster.jobs.limits)."""
    return os.environ.get("ROSTER_JOB_MAX_PARAMETERS_BYTES", "")


def worker_hostname() -> str | None:
    """``ROSTER_WORKER_HOSTNAME``: the name a Celery worker's task instances carry (roster.hostname)."""
    return os.environ.get("ROSTER_WORKER_HOSTNAME") or None


def broker_idle_wait() -> float:
    """Seconds a roster_job_broker lane keeps looking for new jobs once its backlog is done (0: stop at once)."""
    raw = os.environ.get("ROSTER_BROKER_IDLE_WAIT", "").strip()
    try:
        value = float(raw) if raw else 10.0
    except ValueError:
        raise InvalidOptionError(
            f"environment variable ROSTER_BROKER_IDLE_WAIT={raw!r} must be a number of seconds"
        ) from None
    if not 0 <= value <= 45:
        raise InvalidOptionError(f"environment variable ROSTER_BROKER_IDLE_WAIT={raw!r} must be between 0 and 45")
    return value


def user_ttl() -> int:
    """TTL in seconds of ``user.<username>`` documents."""
    return _int_env("CACHE_TTL_GET_USER_WITH_ASSIGNMENTS", 3600)


def line_item_ttl() -> int:
    """TTL in seconds of ``lineItem.<id>`` documents."""
    return _int_env("CACHE_TTL_LINE_ITEM", 3600)


def warmup_read_connections() -> int:
    """``ROSTER_WARMUP_READ_CONNECTIONS``: how many connections a MySQL/MariaDB shard reads its pages on at once
    (its id range split between them): the server builds that many pages at a time. 1 reads as one stream."""
    # At most MAX_READ_CONNECTIONS: within the engine's pool (5 + 10 overflow), with room for the plan's.
    return _int_env("ROSTER_WARMUP_READ_CONNECTIONS", 2, high=MAX_READ_CONNECTIONS)


def cache_key_prefix() -> str:
    return os.environ.get("ROSTER_CACHE_KEY_PREFIX", "")


def job_lease_seconds() -> int:
    return _int_env("ROSTER_JOB_LEASE_SECONDS", 300)


def job_max_attempts() -> int:
    """Attempts after which a job that keeps failing (or whose consumer keeps dying) is PERMANENTLY_FAILED."""
    return _int_env("ROSTER_JOB_MAX_ATTEMPTS", 10)


def sqs_max_receives() -> int:
    """Receives after which a message that could not be settled is dead-lettered or deleted (ApproximateReceiveCount)."""
    return _int_env("ROSTER_SQS_MAX_RECEIVES", 5)


def env_or_variable(name: str, default: str | None = None) -> str | None:
    """The environment variable ``name``, else the Airflow Variable ``name``, else ``default``.

    Called at task run time (for example from a template macro), never while a DAG file is parsed. Set but empty,
    the variable means "not set" without asking Airflow: looking up a Variable imports Airflow, which costs a CLI
    command about a second. ``AIRFLOW_VAR_<NAME>`` (an Airflow Variable in the environment) is read directly.
    """
    value = os.environ.get(name, os.environ.get(f"AIRFLOW_VAR_{name}"))
    if value is not None:
        return value or default
    try:
        from airflow.sdk import Variable

        return Variable.get(name, default=default)
    except Exception:  # no Airflow metadata available (plain CLI use): the environment is all there is
        return default


def required_setting(name: str) -> str:
    """Like :func:`env_or_variable`, but a missing value is an error that says where to set it."""
    value = env_or_variable(name)
    if not value:
        raise InvalidOptionError(f"{name} is not set: set the environment variable or the Airflow Variable {name}")
    return value
