"""The roster database, cache Redis and job queue as the page's routes use them: one engine per api-server
process, built on first use from the same Airflow connections the DAGs use."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from fastapi import HTTPException

from roster import settings
from roster.errors import InvalidOptionError, NoJobTableError, NotFoundError, RosterError

if TYPE_CHECKING:
    from redis import Redis
    from sqlalchemy.engine import Engine

    from roster.jobs import JobQueue

QUEUE = "default"


@functools.cache
def engine() -> Engine:
    from roster.connections import engine_for

    return engine_for(settings.DB_CONN_ID)


def job_queue() -> JobQueue:
    from roster.jobs import JobQueue

    return JobQueue(engine(), queue=QUEUE)


def no_job_table(empty: dict) -> dict | None:
    """``empty`` marked ``job_table: false`` with the state's message while the job table cannot be read (a new
    roster database: nothing published yet; or a table older than this roster, not upgraded yet), else None. The
    page shows the message and the warmup as usual."""
    with answering():
        problem = job_queue().store.unreadable()
    return None if problem is None else {**empty, "job_table": False, "message": problem}


@contextmanager
def cache_redis() -> Iterator[Redis]:
    from roster.connections import redis_for

    client = redis_for(settings.REDIS_CONN_ID)
    try:
        yield client
    finally:
        client.close()


@contextmanager
def answering() -> Iterator[None]:
    """Roster's own errors as HTTP answers: bad input 400 with its one-line message, input naming what does not
    exist 404, an outage 503."""
    try:
        yield
    except InvalidOptionError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    except NotFoundError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except NoJobTableError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    except RosterError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc
