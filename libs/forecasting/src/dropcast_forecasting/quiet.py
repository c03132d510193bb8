"""Keep Prophet and cmdstanpy from flooding the service logs.

cmdstanpy configures its own logger the first time it is used: it sets the
level to DEBUG and, when no handler is around, adds a stream handler that
prints every optimiser start and stop at INFO. Setting the level beforehand
does not stick, so this module lets cmdstanpy do its one-time setup first and
then turns it down to warnings that propagate to our own handlers.
"""

from __future__ import annotations

import logging
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dropcast_common.params import Params


def import_prophet() -> ModuleType:
    """Import Prophet quietly and return the module (cheap after the first call)."""
    # Prophet's plot module logs an ERROR at import when plotly is missing;
    # we draw with matplotlib, so that line is noise.
    logging.getLogger("prophet.plot").setLevel(logging.CRITICAL)
    import prophet

    silence_stan_logs()
    return prophet


def prepare_engine(params: Params) -> None:
    """Import what fits under ``params`` will need, once per process (cheap after that).

    Prophet (quietly) for cmdstan fits; statsforecast, warmed up, when the
    model is chosen among candidates. ``model=prophet`` on the native
    engine's array path needs neither, nor cmdstanpy, nor the Matplotlib
    pyplot Prophet imports: 2-3 CPU-s per process that a run of a few
    hundred series used to spend on imports alone (benchmark B1). A fit
    that falls back to cmdstan imports Prophet when it does.
    """
    from dropcast_forecasting.native.forecast import supports

    if params.engine == "cmdstan" or not supports(params):
        import_prophet()
    if params.model != "prophet":
        warm_up_candidates()


@cache
def warm_up_candidates() -> None:
    """statsforecast's import (seconds) and first fits, once per process."""
    from dropcast_forecasting.candidates import warm_up

    warm_up()


def silence_stan_logs() -> None:
    """Drop cmdstanpy's INFO chatter and its private handler; keep its warnings."""
    import cmdstanpy.utils

    stan = cmdstanpy.utils.get_logger()  # runs cmdstanpy's one-time setup (cached)
    stan.setLevel(logging.WARNING)
    for handler in list(stan.handlers):
        stan.removeHandler(handler)
    stan.propagate = True
    logging.getLogger("prophet").setLevel(logging.WARNING)
