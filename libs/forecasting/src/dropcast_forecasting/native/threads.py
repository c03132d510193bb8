"""One BLAS thread for the native solvers, applied to each BLAS library as it is loaded."""

from __future__ import annotations

_limited: set[str] = set()


def single_blas_thread(after_import: str = "numpy") -> None:
    """Limit the BLAS libraries loaded so far to one thread, once per ``after_import``.

    The matrices here are a few dozen columns wide: a second BLAS thread
    saves nothing and, spinning while it waits for work, doubled and more
    the CPU time of a fit (measured). Pool workers are one per CPU already.
    A limit reaches only the libraries already loaded, and scipy.optimize
    brings its own BLAS (L-BFGS-B's): its callers call this again once they
    have imported it (``after_import="scipy.optimize"``), which took an
    L-BFGS-B iteration from 5 ms to 0.05 ms (measured, 80 variables).
    """
    if after_import in _limited:
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    _limited.add(after_import)
