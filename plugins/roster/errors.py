"""Errors that speak to the operator: what failed, for which input, and what to do."""

from __future__ import annotations


class RosterError(Exception):
    """Base class of every error roster raises on purpose."""


class InvalidOptionError(RosterError, ValueError):
    """A parameter (DAG param, CLI option, API argument) is out of its allowed range."""


class NotFoundError(RosterError, LookupError):
    """What the input names does not exist (a job id, an identifier); nothing was changed."""


class ServiceUnavailableError(RosterError):
    """A database, Redis or SQS endpoint could not be reached; retrying later may succeed."""


class SchemaError(RosterError):
    """The roster database lacks a table, column or index the warmup needs; retrying will not help."""


class PrivilegeError(RosterError):
    """The database user may not do what was asked (create an index, say); nothing was changed."""


class NoJobTableError(RosterError):
    """The job table cannot be read yet: it does not exist (nothing was ever published on this database), or it
    predates this roster and lacks an upgrade."""

    MESSAGE = "no job table yet: it is created by the first publish or by `roster jobs update-schema`"
    OUTDATED = ("the job table predates this roster (it lacks {missing}): `roster jobs update-schema` upgrades it, "
                "and so does the first publish or consumer")  # fmt: skip

    def __init__(self, message: str = MESSAGE) -> None:
        super().__init__(message)
