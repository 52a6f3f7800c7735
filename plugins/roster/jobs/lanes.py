"""Lanes: ranges of priorities in adt/background-queue's ``-p`` syntax (``10``, ``20-40``, ``25-``, ``-20``)."""

from __future__ import annotations

import re

from roster.errors import InvalidOptionError

LOWEST = -(2**31)
HIGHEST = 2**31 - 1


def parse_priorities(spec: str | None) -> tuple[int, int]:
    """``(low, high)``, both inclusive. ``None`` or ``""`` is every priority."""
    if spec is None or not str(spec).strip():
        return LOWEST, HIGHEST
    text = str(spec).strip()
    match = re.fullmatch(r"(\d+)?(-)?(\d+)?", text)
    if not match or not (match.group(1) or match.group(3)) or (match.group(3) and not match.group(2)):
        raise InvalidOptionError(f"priorities {spec!r}: expected N, N-M, N- or -M (for example 10, 20-40, 25-, -20)")
    low, dash, high = match.groups()
    if not dash:
        return int(low), int(low)
    result = (int(low) if low else LOWEST, int(high) if high else HIGHEST)
    if result[0] > result[1]:
        raise InvalidOptionError(f"priorities {spec!r}: the range is empty ({result[0]} > {result[1]})")
    return result
