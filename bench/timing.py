"""The one timing helper the bench scripts share."""

from __future__ import annotations

import time
from collections.abc import Callable


def best(call: Callable[[], object], repeat: int = 5) -> float:
    """The best of `repeat` runs of `call`, in seconds (the least disturbed by other work on the machine)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)
