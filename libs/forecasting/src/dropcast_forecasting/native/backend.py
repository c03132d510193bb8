"""The native solver behind Prophet's own backend interface (``IStanBackend``).

For the models the array path does not build (holidays, logistic growth),
Prophet still prepares the data; this backend then solves the MAP in
process instead of running cmdstan. Where the solve does not converge, it
hands the same call to the cmdstan backend it was given, and says so
(``fell_back``, and why in ``fallback_reason``, which the report shows as
the series' ``engine_fallback``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from dropcast_forecasting.native.solver import Solution, solve, supported
from dropcast_forecasting.native.stan import Point, StanData
from dropcast_forecasting.quiet import import_prophet

log = logging.getLogger("dropcast.forecast.native")


def native_backend(cmdstan: Callable[[], Any]) -> Any:
    """A Prophet backend that solves in process, falling back to ``cmdstan()``'s backend."""
    return _backend_class()(cmdstan)


@lru_cache(maxsize=1)
def _backend_class() -> type:
    import_prophet()
    from prophet.models import IStanBackend

    class NativeBackend(IStanBackend):
        started_warm = False
        fell_back = False
        fallback_reason: str | None = None
        solution: Solution | None = None

        def __init__(self, cmdstan: Callable[[], Any]) -> None:
            super().__init__()
            self._cmdstan = cmdstan

        @staticmethod
        def get_type() -> str:
            return "NATIVE"

        def load_model(self) -> None:
            return None  # nothing to load: the model is numpy code

        def fit(
            self, stan_init: dict[str, Any], stan_data: dict[str, Any], **kwargs: Any
        ) -> dict[str, np.ndarray]:
            data = StanData.from_prophet(stan_data)
            default = Point.from_mapping(stan_init)
            custom = kwargs.get("init")
            start = Point.from_mapping(custom) if custom is not None else None
            self.started_warm = start is not None and start.fits(data)
            if supported(data):
                solution = solve(data, start if self.started_warm and start else default)
                if solution.converged:
                    self.solution = solution
                    return solution.point.as_params()
                why = f"{solution.method} solver stopped after {solution.iterations} iterations"
                log.warning("native solve did not converge (%s); fitting with cmdstan", why)
                self.fallback_reason = f"native solver did not converge ({why}); fitted by cmdstan"
            else:
                self.fallback_reason = "no native solver for this model; fitted by cmdstan"
            self.fell_back = True
            backend = self._cmdstan()
            if not self.started_warm:
                kwargs.pop("init", None)
            params: dict[str, np.ndarray] = backend.fit(stan_init, stan_data, **kwargs)
            self.stan_fit = backend.stan_fit
            return params

        def sampling(
            self, stan_init: dict[str, Any], stan_data: dict[str, Any], samples: int, **kwargs: Any
        ) -> dict[str, np.ndarray]:
            backend = self._cmdstan()  # MCMC is cmdstan's; dropcast only fits MAP
            result: dict[str, np.ndarray] = backend.sampling(
                stan_init, stan_data, samples, **kwargs
            )
            return result

    return NativeBackend
