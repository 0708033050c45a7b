"""A small time-to-live cache for the overview's slow-changing figures.

The month's resolutions and the indicator tiles change when a report is resolved or a job
computes an indicator, not with every event; worked out on every page view and every live
refresh they would cost more than the rest of the overview together (hundreds of ms with 1 M
reports). The figures that move with each event (open, overdue, due today, received today) are
cached under the id of the latest event, so any recorded change (every change to a report
records one) makes a new key, and only briefly, for the deadlines that pass with no event.
One cache per application (``app.state``), so that tests and processes never share values."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_TTL_SECONDS = 60.0


class TtlCache:
    def __init__(self, ttl_seconds: float = DEFAULT_TTL_SECONDS, max_entries: int = 256) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._values: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable, compute: Callable[[], T], *, ttl: float | None = None) -> T:
        now = time.monotonic()
        with self._lock:
            hit = self._values.get(key)
        if hit is not None and hit[0] > now:
            value: T = hit[1]
            return value
        # Computed outside the lock: two requests may both compute once; neither waits.
        fresh = compute()
        with self._lock:
            if len(self._values) >= self.max_entries:
                self._values = {k: v for k, v in self._values.items() if v[0] > now}
            self._values[key] = (now + (self.ttl if ttl is None else ttl), fresh)
        return fresh

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
