"""What a callback raises to steer its job, and what the queue raises at the caller."""

from __future__ import annotations

from roster.errors import InvalidOptionError, RosterError


class PermanentError(Exception):
    """The job can never succeed: PERMANENTLY_FAILED, kept for an operator."""


class WaitingError(Exception):
    """Not yet (a precondition is missing): WAITING, tried again later without counting an attempt."""


class SkipJob(Exception):
    """Nothing to do: the job is FINISHED without error."""


class DieError(Exception):
    """Handle the wrapped error as usual, then stop the consumer (after this job)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class UnknownCallbackError(InvalidOptionError):
    """No callback is registered under this name (see ROSTER_JOB_MODULES)."""


class JobParametersError(InvalidOptionError):
    """Job parameters must be JSON: this value is not."""


class JobQueueError(RosterError):
    """The job table is not what the queue expects."""
