"""Retrying transient storage faults inside a request, and injecting them on purpose.

A request retries a failed storage call a few times with short backoff
before giving up and letting Pub/Sub redeliver the whole message: most
faults (a 503, a reset connection) pass in milliseconds. ``ChaosBlobStore``
injects such faults for resilience tests and game days
(``DROPCAST_CHAOS_STORAGE_FAIL_EVERY``); it is never on by default.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, TypeVar

from dropcast_common.errors import TransientError
from dropcast_common.storage import BlobStore

log = logging.getLogger("dropcast.resilience")

T = TypeVar("T")
_METHODS = ("read", "download", "stat", "create", "replace", "delete", "list")


def retrying(call: Callable[[], T], attempts: int = 4, first_delay: float = 0.05) -> T:
    """Run ``call``, retrying TransientError with exponential backoff."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except TransientError as exc:
            if attempt == attempts:
                raise
            log.info("transient storage fault (attempt %d/%d): %s", attempt, attempts, exc)
            time.sleep(delay)
            delay *= 4
    raise AssertionError("unreachable")


class _EveryStorageCall(ABC):
    """A BlobStore passing each storage call through :meth:`_around`; the rest is the inner's."""

    def __init__(self, inner: BlobStore) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)
        if name not in _METHODS:
            return method

        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            return self._around(name, lambda: method(*args, **kwargs))

        return call

    @abstractmethod
    def _around(self, name: str, call: Callable[[], T]) -> T:
        """Run one storage call ``name``."""


class RetryingBlobStore(_EveryStorageCall):
    """A BlobStore that retries each call's transient faults a few times."""

    def __init__(self, inner: BlobStore, attempts: int = 4) -> None:
        super().__init__(inner)
        self._attempts = attempts

    def _around(self, name: str, call: Callable[[], T]) -> T:  # noqa: ARG002 - any call alike
        return retrying(call, self._attempts)


class ChaosBlobStore(_EveryStorageCall):
    """A BlobStore whose every ``fail_every``-th call fails with a transient fault."""

    def __init__(self, inner: BlobStore, fail_every: int) -> None:
        super().__init__(inner)
        self._fail_every = fail_every
        self._calls = itertools.count(1)
        self._lock = threading.Lock()
        self.injected = 0

    def _around(self, name: str, call: Callable[[], T]) -> T:
        with self._lock:
            fail = next(self._calls) % self._fail_every == 0
            if fail:
                self.injected += 1
        if fail:
            raise TransientError(f"injected storage fault in {name} (503)")
        return call()
