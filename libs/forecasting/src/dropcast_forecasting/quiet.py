"""Keep Prophet and cmdstanpy from flooding the service logs.

cmdstanpy configures its own logger the first time it is used: it sets the
level to DEBUG and, when no handler is around, adds a stream handler that
prints every optimiser start and stop at INFO. Setting the level beforehand
does not stick, so this module lets cmdstanpy do its one-time setup first and
then turns it down to warnings that propagate to our own handlers.
"""

from __future__ import annotations

import logging
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
    """Import Prophet quietly if fits under ``params`` will need it (cheap after the first call).

    The native engine's array path needs neither Prophet nor cmdstanpy nor
    the Matplotlib pyplot Prophet imports, about a second of CPU per
    process; a fit that falls back to cmdstan imports them when it does.
    """
    from dropcast_forecasting.native.forecast import supports

    if params.engine == "cmdstan" or not supports(params):
        import_prophet()


def silence_stan_logs() -> None:
    """Drop cmdstanpy's INFO chatter and its private handler; keep its warnings."""
    import cmdstanpy.utils

    stan = cmdstanpy.utils.get_logger()  # runs cmdstanpy's one-time setup (cached)
    stan.setLevel(logging.WARNING)
    for handler in list(stan.handlers):
        stan.removeHandler(handler)
    stan.propagate = True
    logging.getLogger("prophet").setLevel(logging.WARNING)
