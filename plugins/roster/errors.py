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
    """The job table does not exist yet: nothing was ever published on this database."""

    MESSAGE = "no job table yet: it is created by the first publish or by `roster jobs update-schema`"

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)
