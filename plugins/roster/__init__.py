"""roster: warm the roster user cache in Redis and run a database-backed job queue, orchestrated by Airflow.

The domain packages (:mod:`roster.warmup`, :mod:`roster.jobs`) know nothing of DAGs; :mod:`roster.operators`
and :mod:`roster.sensors` adapt them to Airflow, and the CLI (:mod:`roster.cli`) runs them directly.
"""

from __future__ import annotations

__version__ = "0.1.0"
