"""Job callbacks by name: ``@job("send_email", priority=10)`` in a module listed by ``ROSTER_JOB_MODULES``."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from roster import settings
from roster.errors import InvalidOptionError
from roster.jobs import flow, limits
from roster.jobs.outcome_errors import JobParametersError, UnknownCallbackError

DEFAULT_PRIORITY = 100
DEFAULT_QUEUE = "default"
BUILTIN_MODULES = ("roster.jobs.builtin",)


@dataclass(frozen=True)
class Callback:
    name: str
    func: Callable[..., Any]
    priority: int = DEFAULT_PRIORITY
    queue: str | None = None
    check: Callable[[Mapping[str, Any]], None] | None = None
    concurrency: int | None = None  # at most this many of its jobs (per concurrency_key) PROCESSING at once
    rate: flow.Rate | None = None  # at most this many starts of its jobs in any window

    def check_parameters(self, parameters: dict[str, Any]) -> None:
        """Refuse at publish what the callback could never run: parameter names it does not take (a typo),
        required ones missing (its signature, read once: :func:`roster.jobs.limits.fit`), and whatever its own
        ``check`` refuses; the message names the parameter. The publisher's one signature check."""
        try:
            limits.fit(self.func, parameters)
            if self.check is not None:
                self.check(parameters)
        except InvalidOptionError as exc:
            raise JobParametersError(f"job {self.name}: {exc}") from None


_CALLBACKS: dict[str, Callback] = {}
_loaded_modules: set[str] = set()


def job(name: str, *, priority: int = DEFAULT_PRIORITY, queue: str | None = None,
        check: Callable[[Mapping[str, Any]], None] | None = None, concurrency: int | None = None,
        rate: str | None = None):  # fmt: skip
    """Register the decorated function as the callback ``name``; the job's parameters are its keyword arguments.

    :param priority: the default priority of its jobs (lower is more urgent)
    :param queue: the queue its jobs go to when the publisher does not say
    :param check: called with a job's parameters when it is published; raises InvalidOptionError to refuse them
    :param concurrency: at most this many of its jobs PROCESSING at once, across consumers and lanes: per
        ``concurrency_key`` of the publish, or all of them together without one (see docs/flow-control.md)
    :param rate: at most this many starts in any window, across consumers: ``"100/min"``, ``"20/2s"``, ``"5000/h"``
    """
    limit = flow.concurrency(f"@job({name!r}) concurrency", concurrency) if concurrency is not None else None
    per_window = flow.Rate.parse(f"@job({name!r}) rate", rate) if rate is not None else None

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        existing = _CALLBACKS.get(name)
        if existing is not None and existing.func is not func and existing.func.__qualname__ != func.__qualname__:
            raise ValueError(f"job callback {name!r} is registered twice: {existing.func!r} and {func!r}")
        _CALLBACKS[name] = Callback(name, func, priority, queue, check, limit, per_window)
        return func

    return register


def load_modules() -> None:
    """Import the modules named in ``ROSTER_JOB_MODULES`` (comma separated) so their callbacks register."""
    names = [*BUILTIN_MODULES, *settings.job_modules()]
    for name in names:
        if name not in _loaded_modules:
            try:
                importlib.import_module(name)
            except ImportError as exc:
                raise UnknownCallbackError(f"ROSTER_JOB_MODULES names {name!r}, which cannot be imported: {exc}") from exc
            _loaded_modules.add(name)


def get(name: str) -> Callback:
    callback = _CALLBACKS.get(name)
    if callback is None:
        load_modules()
        callback = _CALLBACKS.get(name)
    if callback is None:
        known = ", ".join(sorted(_CALLBACKS)) or "none"
        raise UnknownCallbackError(
            f"unknown job callback {name!r} (registered: {known}); register it with @job({name!r}) in a module "
            "listed in ROSTER_JOB_MODULES"
        )
    return callback
