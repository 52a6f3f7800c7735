"""The job states (numbers as in adt/background-queue, plus roster's CANCELLED) and every transition the queue's
statements make, in one place: tests/jobs/test_transitions.py runs each state-changing statement of
roster/sql/jobs/ from every state and checks that what it does is in TRANSITIONS, and that every entry happens."""

from __future__ import annotations

from enum import IntEnum


class State(IntEnum):
    BACK_TO_BROKER = -1  # set by other systems sharing the table (adt); the re-broker sends these jobs again
    READY = 1
    PROCESSING = 2
    FINISHED = 3
    TEMPORARILY_FAILED = 4
    PERMANENTLY_FAILED = 5
    WAITING = 6
    REDUNDANT = 7
    BROKER_FAILED = 8
    CANCELLED = 9  # roster's own: never claimed again; a serial group moves on past it


# Each transition is one conditional UPDATE (`... WHERE id = :id AND state = :from`): a race shows up as 0 rows.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.READY: frozenset({State.PROCESSING, State.BROKER_FAILED, State.CANCELLED}),
    State.PROCESSING: frozenset(
        {
            State.FINISHED,  # returned, or SkipJob
            State.TEMPORARILY_FAILED,  # any other exception: retried after a backoff
            State.PERMANENTLY_FAILED,  # PermanentError, or a lease expired too often
            State.WAITING,  # WaitingError: tried again later, the attempt not counted
            State.READY,  # lease expired (worker died) or released on a graceful stop
            State.CANCELLED,  # its cancel was requested while it ran, and it did not finish
        }
    ),
    # Due retries are promoted back to READY; only READY jobs are ever claimed, so a job cannot finish unrun.
    State.TEMPORARILY_FAILED: frozenset({State.READY, State.CANCELLED}),
    State.WAITING: frozenset({State.READY, State.CANCELLED}),
    State.PERMANENTLY_FAILED: frozenset({State.READY}),  # an operator's retry
    State.BACK_TO_BROKER: frozenset({State.READY, State.BROKER_FAILED, State.CANCELLED}),
    State.BROKER_FAILED: frozenset({State.READY, State.CANCELLED}),
    State.FINISHED: frozenset(),
    State.REDUNDANT: frozenset(),
    State.CANCELLED: frozenset(),
}

# Not done yet: what unfinished_identifiers() and serial groups count as still to come.
UNFINISHED = frozenset(
    {State.READY, State.PROCESSING, State.TEMPORARILY_FAILED, State.WAITING, State.BACK_TO_BROKER, State.BROKER_FAILED}
)
FINISHED_STATES = frozenset({State.FINISHED, State.REDUNDANT, State.CANCELLED})
# What cancel() turns into CANCELLED at once; PROCESSING jobs are flagged instead.
CANCELLABLE = frozenset({State.READY, State.TEMPORARILY_FAILED, State.WAITING, State.BACK_TO_BROKER, State.BROKER_FAILED})
