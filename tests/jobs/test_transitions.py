"""states.TRANSITIONS is the checked truth: every statement of roster/sql/jobs/ that sets ``state`` is run against
a row in every state (with and without a cancel request), and each change it makes must be in the table; every
entry of the table must be made by some statement."""

from __future__ import annotations

import re

import orjson
from sqlalchemy import text

from roster.jobs.states import TRANSITIONS, State
from roster.jobs.store import Store
from roster.sql import SQL_FILES, sql_names

PAST, FUTURE = "2000-01-01 00:00:00.000000", "2999-01-01 00:00:00.000000"
CLAIM_ID = 7  # every row's claim: the consumer's statements (finish, fail, release) match it
_CLAIM = {"locked_until": FUTURE, "now": FUTURE, "pid": 1, "hostname": "h", "worker": None, "by_broker": 0,
          "claim_id": CLAIM_ID}  # fmt: skip


def _runs(ids: list[int]) -> list[tuple[str, dict]]:
    """Each state-changing statement with parameters that reach every row it can change (the state parameters
    of fail and mark_state as the code passes them)."""
    every = {"every_id": 1, "ids": [0]}
    return [
        ("claim_mark", {**_CLAIM, "ids": ids}),
        ("finish", {"rows": orjson.dumps([[i, CLAIM_ID, 1, "{}", None] for i in ids]).decode(), "now": FUTURE}),
        *[("fail", {"state": int(s), "error": "e", "available_at": FUTURE, "ms": 1, "memory": "{}", "uncount": 0,
                    "now": FUTURE, "id": ids, "claim_id": CLAIM_ID})  # fmt: skip
          for s in (State.TEMPORARILY_FAILED, State.PERMANENTLY_FAILED, State.WAITING)],
        ("release", {"ids": ids, "now": FUTURE, "claim_id": CLAIM_ID}),
        ("promote_due", {"queue": "default", "now": FUTURE}),
        ("rescue_fail", {"queue": "default", "now": FUTURE, "max_attempts": 0, "reason": "r"}),
        ("rescue_retry", {"queue": "default", "now": FUTURE, "reason": "r"}),
        *[("mark_state", {"to_state": int(to), "from_states": [int(s) for s in sources], "ids": ids, "now": FUTURE})
          for to, sources in [(State.READY, (State.BACK_TO_BROKER, State.BROKER_FAILED)),
                              (State.BROKER_FAILED, (State.BACK_TO_BROKER,)), (State.BROKER_FAILED, (State.READY,))]],
        ("retry_failed", {"queue": "default", "now": FUTURE, **every}),
        ("cancel", {"ids": ids, "queue": "default", "identifier": None, "now": FUTURE, "reason": "r"}),
    ]  # fmt: skip


def _state_changing_statements(dialect: str) -> set[str]:
    names = set()
    for file_name in sql_names("jobs"):
        name, _, variant = file_name.removeprefix("jobs/").removesuffix(".sql").partition(".")
        if variant and variant != dialect:
            continue
        assignments = re.search(r"\bSET\b(.*?)\bWHERE\b", SQL_FILES.joinpath(file_name).read_text(), re.S)
        if assignments and re.search(r"(^|[\s,.])state\s*=", assignments.group(1)):
            names.add(name)
    return names


def _fill(engine) -> dict[int, State]:
    """One row per state and cancel flag: due, lease expired, one attempt."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM background_job"))
        for state in State:
            for flag in (0, 1):
                conn.execute(
                    text("INSERT INTO background_job (queue, callback_name, parameters, state, cancel_requested, "
                         "created_at, available_at, locked_until, number_of_attempts, updated_at, claim_id) VALUES "
                         "('default', 'noop', '{}', :s, :f, :t, :t, :t, 1, :t, :c)"),
                    {"s": int(state), "f": flag, "t": PAST, "c": CLAIM_ID},
                )  # fmt: skip
        return {i: State(s) for i, s in conn.execute(text("SELECT id, state FROM background_job"))}


def test_every_state_change_is_in_transitions_and_every_transition_happens(engine):
    store = Store(engine)
    store.ensure_schema()
    assert {name for name, _ in _runs([1])} == _state_changing_statements(store.dialect), "a statement is unchecked"
    seen: set[tuple[State, State]] = set()
    for index in range(len(_runs([1]))):
        before = _fill(engine)  # fresh rows (and ids) for each run
        name, params = _runs(sorted(before))[index]
        with store.transaction() as tx:
            for one in params["id"] if name == "fail" else [None]:  # fail is for one job: each in turn
                tx.rows(name, **({**params, "id": one} if one else params))
        with engine.connect() as conn:
            after = {i: State(s) for i, s in conn.execute(text("SELECT id, state FROM background_job"))}
        made = {(before[i], after[i]) for i in before if before[i] != after[i]}
        for source, target in made:
            assert target in TRANSITIONS[source], f"{name} makes {source.name} -> {target.name}, not in TRANSITIONS"
        seen |= made
    table = {(source, target) for source, targets in TRANSITIONS.items() for target in targets}
    assert table - seen == set(), "entries of TRANSITIONS no statement makes"
