"""The job states (numbers as in adt/background-queue) and every transition the queue makes, in one place."""

from __future__ import annotations

from enum import IntEnum


class State(IntEnum):
    BACK_TO_BROKER = -1
    READY = 1
    PROCESSING = 2
    FINISHED = 3
    TEMPORARILY_FAILED = 4
    PERMANENTLY_FAILED = 5
    WAITING = 6
    REDUNDANT = 7
    BROKER_FAILED = 8


# Each transition is one conditional UPDATE (`... WHERE id = :id AND state = :from`): a race shows up as 0 rows.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.READY: frozenset({State.PROCESSING, State.BROKER_FAILED, State.BACK_TO_BROKER}),
    State.PROCESSING: frozenset(
        {
            State.FINISHED,  # returned, or SkipJob
            State.TEMPORARILY_FAILED,  # any other exception: retried after a backoff
            State.PERMANENTLY_FAILED,  # PermanentError, or a lease expired too often
            State.WAITING,  # WaitingError: tried again later, the attempt not counted
            State.READY,  # lease expired (worker died) or released on a graceful stop
        }
    ),
    # Due retries are promoted back to READY; only READY jobs are ever claimed, so a job cannot finish unrun.
    State.TEMPORARILY_FAILED: frozenset({State.READY}),
    State.WAITING: frozenset({State.READY}),
    State.PERMANENTLY_FAILED: frozenset({State.READY}),  # an operator's retry
    State.BACK_TO_BROKER: frozenset({State.READY, State.BROKER_FAILED}),
    State.BROKER_FAILED: frozenset({State.READY, State.BROKER_FAILED}),
    State.FINISHED: frozenset(),
    State.REDUNDANT: frozenset(),
}

# Not done yet: what unfinished_identifiers() and serial groups count as still to come.
UNFINISHED = frozenset(
    {State.READY, State.PROCESSING, State.TEMPORARILY_FAILED, State.WAITING, State.BACK_TO_BROKER, State.BROKER_FAILED}
)
FINISHED_STATES = frozenset({State.FINISHED, State.REDUNDANT})
