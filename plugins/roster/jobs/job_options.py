"""The flow-control and uniqueness options of a job to publish, checked and resolved into its columns: each
refusal is one line naming the field (:mod:`roster.jobs.limits` checks the rest of a job)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from roster.errors import InvalidOptionError
from roster.jobs import flow, limits
from roster.jobs.states import State

if TYPE_CHECKING:
    from roster.jobs.registry import Callback

# unique_for without unique_states: any twin counts but one that was only a duplicate itself, or cancelled.
RATE_KEY_CHARS = 253  # rate_key VARCHAR(255), and its lock row's name "r" + 0x1f + rate_key
DEFAULT_UNIQUE_STATES = tuple(int(s) for s in State if s not in (State.REDUNDANT, State.CANCELLED))


def flow_fields(callback: Callback, *, concurrency_key: str | None, concurrency: int | None,
                rate_key: str | None) -> dict[str, Any]:  # fmt: skip
    """``concurrency_key``/``concurrency_limit``/``rate_key``/``rate_limit`` of a job of ``callback``.

    A concurrency limit (the publish's ``concurrency``, else the callback's) without a key limits the callback's
    jobs together (the key is its name); a key without any limit is refused. A rate is the callback's: its jobs
    share one window, or one per ``rate_key``.
    """
    limits.text("concurrency_key", concurrency_key)
    limit = flow.concurrency("concurrency", concurrency) if concurrency is not None else callback.concurrency
    if concurrency_key is not None and limit is None:
        raise InvalidOptionError(
            f"concurrency_key={concurrency_key!r} needs a limit: @job({callback.name!r}, concurrency=N) or "
            "publish(..., concurrency=N)"
        )
    if rate_key is not None and callback.rate is None:
        raise InvalidOptionError(f"rate_key={rate_key!r} needs a rate: @job({callback.name!r}, rate=\"100/min\")")
    limits.text("rate_key", rate_key)
    fields: dict[str, Any] = {}
    if limit is not None:
        fields.update(concurrency_key=concurrency_key or callback.name, concurrency_limit=limit)
    if callback.rate is not None:
        bucket = callback.name if rate_key is None else f"{callback.name}\x1f{rate_key}"
        if len(bucket) > RATE_KEY_CHARS:
            raise InvalidOptionError(f"rate_key is too long: with the callback's name it takes {len(bucket)} characters, "
                                     f"at most {RATE_KEY_CHARS} fit")  # fmt: skip
        fields.update(rate_key=bucket, rate_limit=str(callback.rate))
    return fields


def unique_fields(*, unique: bool, identifier: str | None, unique_for: timedelta | float | None,
                  unique_states: Iterable[Any] | None) -> dict[str, Any]:  # fmt: skip
    """``unique_for`` (seconds) and ``unique_states`` (state numbers) of a job unique by period or state."""
    if unique_for is None and unique_states is None:
        return {}
    if unique:
        raise InvalidOptionError("give unique=True (one ever) or unique_for/unique_states (by period or state), not both")
    if not identifier:
        raise InvalidOptionError("unique_for/unique_states need an identifier: identifier=None")
    seconds = None
    if unique_for is not None:
        value = unique_for.total_seconds() if isinstance(unique_for, timedelta) else unique_for
        seconds = limits.number("unique_for", value, high=limits.MAX_DELAY_SECONDS)
        if seconds <= 0:
            raise InvalidOptionError(f"unique_for must be longer than 0 seconds, got {unique_for!r}")
    return {"unique_for": seconds, "unique_states": _states(unique_states)}


def _states(values: Iterable[Any] | None) -> tuple[int, ...]:
    if values is None:
        return DEFAULT_UNIQUE_STATES
    if isinstance(values, (str, int, State)):
        values = [values]
    states = []
    for value in values:
        try:
            states.append(int(State[value.upper()] if isinstance(value, str) else State(value)))
        except (KeyError, ValueError):
            known = ", ".join(s.name for s in State)
            raise InvalidOptionError(f"unique_states: {value!r} is not a state ({known})") from None
    if not states:
        raise InvalidOptionError("unique_states must name at least one state, got none")
    return tuple(sorted(set(states)))
