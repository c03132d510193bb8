"""A small least-recently-used cache, and keys for what depends only on a series' dates.

The series of one file very often share their dates (every series of a
wide file, and most of a long one): what follows from the dates alone —
the frequency, the native engine's design matrices — is then computed
once per worker instead of once per series. Bounded in entries and in
the bytes of the arrays held, so a file whose series all differ costs a
few entries' memory and nothing else, and long histories' matrices are
not kept by the dozen.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import numpy as np

V = TypeVar("V")


# What one memo may hold in arrays: a few years of daily features are a few hundred KB,
# ten years of hourly ones about 40 MB (not kept: recomputed per fit, as before).
MAX_BYTES = 32 << 20


class Memo(Generic[V]):
    """Values by key, the ``size`` most recently used kept, their arrays at most ``max_bytes``.

    A value too large for the budget alone is returned and not kept. Safe
    across threads (a service may forecast two requests in one process);
    two threads missing the same key at once both make it, and the values
    are equal.
    """

    def __init__(self, size: int, max_bytes: int = MAX_BYTES) -> None:
        self._size = size
        self._max_bytes = max_bytes
        self._bytes = 0
        self._values: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()
        _ALL.append(self)

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value stored under ``key``, made by ``make()`` (and stored) on a miss."""
        with self._lock:
            stored = self._values.get(key)
            if stored is not None:
                self._values.move_to_end(key)
                return stored[0]
        value = make()  # outside the lock: a miss of one key does not hold up the others
        weight = _weight(value)
        if weight > self._max_bytes:
            return value
        with self._lock:
            if key not in self._values:
                self._values[key] = (value, weight)
                self._bytes += weight
            while len(self._values) > self._size or self._bytes > self._max_bytes:
                self._bytes -= self._values.popitem(last=False)[1][1]
        return value

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._values.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._values)


_ALL: list[Memo[Any]] = []


def clear_all() -> None:
    """Empty every memo of this process (a test compares a fit from cold memos with one from
    warm ones)."""
    for memo in _ALL:
        memo.clear()


def dates_key(ds: np.ndarray) -> bytes:
    """A key equal for two date arrays exactly when their nanoseconds are equal (the bytes)."""
    return np.ascontiguousarray(np.asarray(ds, dtype="datetime64[ns]").view("int64")).tobytes()


def frozen(array: np.ndarray) -> np.ndarray:
    """``array``, read-only: a cached value must not change under the callers sharing it."""
    array.flags.writeable = False
    return array


def _weight(value: object) -> int:
    """The bytes of the arrays in ``value`` (an array, or a tuple holding some)."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, tuple):
        return sum(_weight(item) for item in value)
    return 0
