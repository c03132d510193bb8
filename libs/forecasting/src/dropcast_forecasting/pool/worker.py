"""The code a pool worker runs: its start-up and one batch of series.

Imported in the fork server (``set_forkserver_preload``, through
:mod:`~dropcast_forecasting.pool.preload`) or inherited by a forked worker,
so pandas and numpy are imported once, not per series or per request;
Prophet and statsforecast too, the first time a batch needs them
(``prepare_engine``), and never for a batch that does not.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from multiprocessing.util import Finalize

from dropcast_common.params import Params
from dropcast_forecasting.quiet import prepare_engine
from dropcast_forecasting.series import SeriesOutcome, SeriesTask, forecast_series

# cmdstanpy picks one scratch directory per process at import time and
# offers no setting for it; a worker forked from a process that already
# imported it would share its parent's. Each worker rebinds it to its own.
# cmdstanpy is imported only when a fit needs cmdstan (engine=native does not).
_CMDSTANPY_TMPDIR = "_TMPDIR"
_CMDSTANPY_MODULES = ("cmdstanpy", "cmdstanpy.model", "cmdstanpy.utils.filesystem")
_scratch: str | None = None


# Linux's prctl(PR_SET_PDEATHSIG): the kernel signals us when our parent dies.
_PR_SET_PDEATHSIG = 1
LEADER_POLL_SECONDS = 1.0


def die_with(leader: int) -> None:
    """End this worker when the process that owns the pool (``leader``) dies.

    A killed forecast instance (SIGKILL: no atexit, no pool shutdown) would
    otherwise leave its workers blocked on their queue for ever. Our direct
    parent is the leader, or the fork server that exits with it; the kernel's
    parent-death signal covers the first hop at once, and a watcher thread
    covers the rest (and systems without prctl) within a second.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass  # the watcher below still covers it
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(LEADER_POLL_SECONDS)
            if os.getppid() != parent or not _alive(leader):
                os._exit(1)  # nothing to flush: the request that wanted our result is gone

    threading.Thread(target=watch, name="die-with-leader", daemon=True).start()


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs: a zombie (dead, not yet reaped by its parent) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, another user's: pid reused, but then our ppid changed too
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:  # noqa: PTH123 - one read, no Path needed
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True  # no /proc (not Linux): kill(0) is all we know


def init_worker(scratch_root: str, leader: int | None = None) -> None:
    """Give this worker its own scratch directory for cmdstan's files, removed at exit.

    With ``leader``, the worker also dies with that process (see :func:`die_with`).
    """
    global _scratch
    if leader is not None:
        die_with(leader)
    scratch = tempfile.mkdtemp(prefix=f"worker-{os.getpid()}-", dir=scratch_root)
    # Worker processes leave through os._exit, so atexit would never run; a
    # multiprocessing finalizer does.
    Finalize(None, shutil.rmtree, args=(scratch,), kwargs={"ignore_errors": True}, exitpriority=0)
    os.environ["TMPDIR"] = scratch
    tempfile.tempdir = scratch
    _scratch = scratch
    _bind_cmdstanpy()
    if "cmdstanpy" in sys.modules:
        from dropcast_forecasting.quiet import silence_stan_logs

        silence_stan_logs()  # in case the parent's logging setup changed it


def _bind_cmdstanpy() -> None:
    """Point the cmdstanpy modules this process imported at its own scratch directory."""
    if _scratch is None:
        return
    for name in _CMDSTANPY_MODULES:
        module = sys.modules.get(name)
        if module is not None and hasattr(module, _CMDSTANPY_TMPDIR):
            setattr(module, _CMDSTANPY_TMPDIR, _scratch)


def scratch_dirs() -> tuple[int, list[str]]:
    """This process's id and where cmdstanpy writes its files (workers must not share one)."""
    import cmdstanpy.model
    import cmdstanpy.utils.filesystem  # noqa: F401 - imported to be bound and reported

    _bind_cmdstanpy()
    dirs = [str(getattr(sys.modules[name], _CMDSTANPY_TMPDIR)) for name in _CMDSTANPY_MODULES]
    return os.getpid(), dirs


def run_batch(tasks: list[SeriesTask], params: Params) -> list[SeriesOutcome]:
    """Forecast a batch of series in order."""
    prepare_engine(params)
    _bind_cmdstanpy()
    return [forecast_series(task, params) for task in tasks]
