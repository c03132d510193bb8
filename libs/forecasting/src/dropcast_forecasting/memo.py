"""A small least-recently-used cache, and keys for what depends only on a series' dates.

The series of one file very often share their dates (every series of a
wide file, and most of a long one): what follows from the dates alone —
the frequency, the native engine's design matrices — is then computed
once per worker instead of once per series. Bounded, so a file whose
series all differ costs a few entries' memory and nothing else.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import numpy as np

V = TypeVar("V")


class Memo(Generic[V]):
    """Values by key, the ``size`` most recently used kept."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value stored under ``key``, made by ``make()`` (and stored) on a miss."""
        try:
            self._values.move_to_end(key)
            return self._values[key]
        except KeyError:
            pass
        value = make()
        self._values[key] = value
        if len(self._values) > self._size:
            self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every value (tests compare a miss with a hit)."""
        self._values.clear()

    def __len__(self) -> int:
        return len(self._values)


def dates_key(ds: np.ndarray) -> bytes:
    """A key equal for two date arrays exactly when their nanoseconds are equal (the bytes)."""
    return np.ascontiguousarray(np.asarray(ds, dtype="datetime64[ns]").view("int64")).tobytes()


def frozen(array: np.ndarray) -> np.ndarray:
    """``array``, read-only: a cached value must not change under the callers sharing it."""
    array.flags.writeable = False
    return array
