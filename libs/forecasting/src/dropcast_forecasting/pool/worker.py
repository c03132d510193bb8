"""The code a pool worker runs: its start-up and one batch of series.

Imported in the fork server (``set_forkserver_preload``) or inherited by a
forked worker, so Prophet, pandas and numpy are imported once, not per
series or per request.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from multiprocessing.util import Finalize

import cmdstanpy
import cmdstanpy.model
import cmdstanpy.utils.filesystem

from dropcast_common.params import Params
from dropcast_forecasting.candidates import warm_up as warm_up_candidates
from dropcast_forecasting.quiet import import_prophet
from dropcast_forecasting.series import SeriesOutcome, SeriesTask, forecast_series

import_prophet()
# statsforecast's import (seconds) and first fits, paid once here in the fork
# server rather than by the first series of every worker.
warm_up_candidates()

# cmdstanpy picks one scratch directory per process at import time and
# offers no setting for it; a worker forked from a process that already
# imported it would share its parent's. Each worker rebinds it to its own.
_CMDSTANPY_TMPDIR = "_TMPDIR"
_CMDSTANPY_MODULES = (cmdstanpy, cmdstanpy.model, cmdstanpy.utils.filesystem)


def init_worker(scratch_root: str) -> None:
    """Give this worker its own scratch directory for cmdstan's files, removed at exit."""
    scratch = tempfile.mkdtemp(prefix=f"worker-{os.getpid()}-", dir=scratch_root)
    # Worker processes leave through os._exit, so atexit would never run; a
    # multiprocessing finalizer does.
    Finalize(None, shutil.rmtree, args=(scratch,), kwargs={"ignore_errors": True}, exitpriority=0)
    os.environ["TMPDIR"] = scratch
    tempfile.tempdir = scratch
    for module in _CMDSTANPY_MODULES:
        if hasattr(module, _CMDSTANPY_TMPDIR):
            setattr(module, _CMDSTANPY_TMPDIR, scratch)
    import_prophet()  # re-silences cmdstanpy in case the parent's logging setup changed it


def scratch_dirs() -> tuple[int, list[str]]:
    """This process's id and where cmdstanpy writes its files (workers must not share one)."""
    return os.getpid(), [str(getattr(m, _CMDSTANPY_TMPDIR)) for m in _CMDSTANPY_MODULES]


def run_batch(tasks: list[SeriesTask], params: Params) -> list[SeriesOutcome]:
    """Forecast a batch of series in order."""
    return [forecast_series(task, params) for task in tasks]
