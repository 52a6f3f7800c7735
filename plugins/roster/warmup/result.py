"""What one warm task did: counts, the first errors, timing; ``to_dict()`` is its XCom."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_ERRORS_KEPT = 10


@dataclass
class ShardResult:
    """What one warm task did; ``to_dict()`` is its XCom."""

    remainder: int
    modulo: int
    users_total: int = 0
    users_warmed: int = 0
    users_without_assignments: int = 0
    users_failed: int = 0
    errors: list[str] = field(default_factory=list)
    line_items_warmed: int = 0
    usernames_not_found: list[str] = field(default_factory=list)
    redis_reconnected: bool = False  # keys written before a Redis restart are gone: the summary says so
    seconds: float = 0.0
    started_at: float = field(default_factory=time.time)  # epoch seconds: lets a summary measure wall time

    def failed(self, username: str, exc: BaseException) -> None:
        self.users_failed += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(f"user {username!r}: {type(exc).__name__}: {exc}")

    @property
    def users_per_second(self) -> float:
        return self.users_warmed / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        result = asdict(self)
        result["seconds"] = round(self.seconds, 3)
        result["finished_at"] = round(self.started_at + self.seconds, 3)
        result["users_per_second"] = round(self.users_per_second, 1)
        return result

