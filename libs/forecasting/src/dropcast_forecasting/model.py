"""Prophet for one series: build, fit, predict. Pure: frames or arrays in, frames or arrays out.

The default model is the original project's (Prophet with its defaults), so
hyndsight reproduces its published forecast. Every other behaviour is a
parameter from :class:`~dropcast_common.params.Params`.

``params.engine`` says who solves the fit. ``native`` (the default): the
same model solved in this process (:mod:`dropcast_forecasting.native`),
on arrays for linear or flat growth without holidays (country or custom),
else (logistic growth, holidays) inside Prophet through its backend
interface; a fit the native solver does not converge on is fitted by
cmdstan instead (logged, and named by :func:`engine_fallback`). ``cmdstan``: Prophet's
own optimiser, as the original project ran it. Callers see one interface:
:func:`fit_prophet` returns a model that :func:`predict_prophet`,
:func:`warm_start_init` and :func:`started_warm` take, whichever engine
fitted it. A series' own path (:mod:`dropcast_forecasting.series`) hands
in a :class:`History` of arrays and reads :func:`predict_columns`: on the
native engine no DataFrame is built at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dropcast_common import frequency as frequencies
from dropcast_common.errors import InputError
from dropcast_common.params import Params
from dropcast_forecasting.calendar import without_impossible_seasonality
from dropcast_forecasting.fastprophet import prophet_class
from dropcast_forecasting.native import forecast as native
from dropcast_forecasting.native.backend import native_backend
from dropcast_forecasting.quiet import import_prophet

log = logging.getLogger("dropcast.forecast.model")

# The Stan parameters Prophet accepts as a starting point (``fit(df, init=...)``).
_INIT_KEYS = ("k", "m", "sigma_obs", "delta", "beta")
_SCALARS = ("k", "m", "sigma_obs")
# What Prophet's Stan program reads, split by how it is passed.
_STAN_SCALARS = ("T", "S", "K", "tau", "trend_indicator", "sigmas")
_STAN_ARRAYS = ("y", "t", "cap", "t_change", "s_a", "s_m")
_YEAR_NS = 365 * 86_400 * 10**9


@dataclass(frozen=True)
class History:
    """One series' history as arrays: what a fit reads, without a DataFrame until one is needed.

    The native engine's array path fits from the arrays; :attr:`frame`
    (built once, on first use) serves Prophet's own fit and whatever else
    takes a frame. Building and indexing frames cost a series on the
    native path as much as its fit (benchmark B1).
    """

    ds: np.ndarray  # datetime64[ns], ascending
    y: np.ndarray  # float64
    regressors: np.ndarray | None = None  # (rows, len(names)): each regressor's values
    names: tuple[str, ...] = ()  # the regressors' names, in the columns' order

    def __len__(self) -> int:
        return len(self.y)

    @cached_property
    def frame(self) -> pd.DataFrame:
        """Columns ds, y and one per regressor."""
        frame = pd.DataFrame({"ds": self.ds, "y": self.y})
        for j, name in enumerate(self.names):
            assert self.regressors is not None
            frame[name] = self.regressors[:, j]
        return frame

    def rows(self, part: slice) -> History:
        """The history's rows in ``part`` (e.g. all but the last horizon)."""
        extra = self.regressors[part] if self.regressors is not None else None
        return History(self.ds[part], self.y[part], extra, self.names)


def check_holidays_country(country: str) -> None:
    """Raise InputError(``invalid_parameter``) unless the holidays package knows ``country``."""
    _holiday_names(country.upper())


@lru_cache(maxsize=16)
def _holiday_names(country: str) -> frozenset[str]:
    from prophet.make_holidays import get_holiday_names

    import_prophet()
    try:
        return frozenset(get_holiday_names(country))
    except (AttributeError, NotImplementedError) as exc:
        import holidays

        known = sorted(holidays.list_supported_countries())
        raise InputError(
            "invalid_parameter",
            f"holidays_country {country!r} is not a country the holidays package knows",
            f"Use an ISO 3166 code such as {', '.join(known[:8])} ({len(known)} supported).",
            {"parameter": "holidays_country", "value": country},
        ) from exc


def build_prophet(params: Params, *, uncertainty_samples: int | None = None) -> Any:
    """A Prophet model configured from ``params`` (not fitted)."""
    samples = params.uncertainty_samples if uncertainty_samples is None else uncertainty_samples
    model = prophet_class()(
        holidays=holiday_frame(params),
        growth=params.growth,
        interval_width=params.interval_width,
        uncertainty_samples=samples,
        seasonality_mode=params.seasonality_mode,
        yearly_seasonality=params.yearly_seasonality,
        weekly_seasonality=params.weekly_seasonality,
        daily_seasonality=params.daily_seasonality,
        changepoint_prior_scale=params.changepoint_prior_scale,
        seasonality_prior_scale=params.seasonality_prior_scale,
    )
    model.stan_backend = (
        native_backend(array_backend) if params.engine == "native" else array_backend()
    )
    if params.holidays_country:
        country = params.holidays_country.upper()
        _holiday_names(country)  # validates once per process instead of once per model
        model.add_country_holidays(country_name=country)
    for name in params.regressors or ():
        # Prophet's defaults otherwise: prior scale 10, standardize="auto".
        model.add_regressor(name, mode=params.regressor_mode)
    return model


def regressor_values(frame: pd.DataFrame, params: Params) -> np.ndarray | None:
    """The regressor columns of ``frame`` as a (rows, regressors) matrix; None without any."""
    names = list(params.regressors or ())
    if not names:
        return None
    return frame[names].to_numpy(dtype="float64")


def holiday_frame(params: Params) -> pd.DataFrame | None:
    """The custom holidays table as Prophet's ``holidays=`` frame (None without one)."""
    rows = params.holiday_rows()
    if not rows:
        return None
    return pd.DataFrame(
        {
            "holiday": [row.name for row in rows],
            "ds": pd.to_datetime([row.date for row in rows]),
            "lower_window": [row.lower_window for row in rows],
            "upper_window": [row.upper_window for row in rows],
        }
    )


def fit_prophet(
    history: pd.DataFrame | History,
    params: Params,
    *,
    init: Mapping[str, Any] | None = None,
    uncertainty_samples: int | None = None,
    **stan_options: Any,
) -> Any:
    """Fit Prophet to ``history`` (columns ds, y, and each of ``params.regressors``).

    A :class:`History` whose model the native array path builds is fitted
    from its arrays; a frame is built only for Prophet's own fit.

    ``init`` is a warm start: the Stan parameters of an earlier fit of the
    same series (see :func:`warm_start_init`), which Prophet's optimiser
    starts from instead of its default guess. ``stan_options`` go to
    Prophet's ``fit`` when cmdstan optimises (e.g. candidates.backtest_fit).
    """
    if isinstance(history, History):
        ds, y, extra = history.ds, history.y, history.regressors
    else:
        ds = history["ds"].to_numpy(dtype="datetime64[ns]")
        y = history["y"].to_numpy(dtype="float64")
        extra = regressor_values(history, params)
    params = fitted_params(ds, params)
    fallback = None
    if params.engine == "native" and native.supports(params):
        try:
            return native.fit(
                ds, y, params, init=init, uncertainty_samples=uncertainty_samples, regressors=extra
            )
        except native.NotConvergedError as exc:
            log.warning("native fit did not converge (%s); fitting with cmdstan", exc)
            params = params.model_copy(update={"engine": "cmdstan"})
            fallback = f"native solver did not converge ({exc}); fitted by cmdstan"
    model = build_prophet(params, uncertainty_samples=uncertainty_samples)
    if isinstance(history, History):
        history = history.frame
    frame = with_bounds(history[["ds", "y", *(params.regressors or ())]], params)
    if init is not None:
        model.fit(frame, init=dict(init), **stan_options)
    else:
        model.fit(frame, **stan_options)
    model.native_fallback = fallback  # read by engine_fallback(); the report names it
    return model


def fitted_params(ds: np.ndarray, params: Params) -> Params:
    """``params`` as :func:`fit_prophet` fits them to a history with dates ``ds``.

    One point a year (or fewer) cannot show a yearly cycle, but Prophet's "auto"
    turns it on past two years of history: ten Fourier terms it can never
    identify, which made a 12-point fit take seconds, not milliseconds. The rule
    lives in calendar; every caller of fit_prophet gets it, not only series.py,
    and so does the engines' comparison (native.agreement), which must fit both
    engines the same model.
    """
    if params.yearly_seasonality == "auto" and _steps_a_year(ds):
        step = frequencies.infer_one(pd.DatetimeIndex(ds))
        if step is not None:
            return without_impossible_seasonality(step, params)
    return params


def engine_fallback(model: Any) -> str | None:
    """Why cmdstan fitted ``model`` although the native engine was asked for (else None).

    Either the array path's solve or, for a model Prophet built (holidays,
    logistic growth), the native backend's inside Prophet did not converge.
    """
    why: str | None = getattr(model, "native_fallback", None)
    if why is None:
        why = getattr(getattr(model, "stan_backend", None), "fallback_reason", None)
    return why


def predict_point(
    model: Any, dates: np.ndarray, params: Params, regressors: np.ndarray | None = None
) -> np.ndarray:
    """The point forecast at ``dates`` (datetime64), without a frame when the engine has none.

    What a backtest scores: on the native engine's arrays directly, which
    spares building and reading back a DataFrame per refit. ``regressors``
    as :func:`predict_prophet` takes them.
    """
    if isinstance(model, native.NativeFit):
        return model.predict(np.asarray(dates, dtype="datetime64[ns]"), regressors).yhat
    return predict_columns(model, dates, params, regressors)["prediction"]


def _steps_a_year(ds: np.ndarray) -> bool:
    """Whether any step of ``ds`` is a year or longer: else no inferred frequency can be.

    A frequency is named after the steps a series takes most often, so one
    whose every step is under 365 days is never yearly or coarser, and
    inferring it (a tenth of a native fit) cannot change the answer.
    """
    stamps = np.asarray(ds, dtype="datetime64[ns]").view("int64")
    if len(stamps) < 2:
        return False
    steps = np.diff(stamps)
    if steps.min() < 0:  # not in order: the steps between the sorted stamps
        steps = np.diff(np.sort(stamps))
    return int(steps.max()) >= _YEAR_NS


def predict_prophet(
    model: Any,
    dates: pd.DatetimeIndex,
    params: Params,
    regressors: np.ndarray | None = None,
) -> pd.DataFrame:
    """Predict at ``dates``: columns date, prediction, prediction_lower, prediction_upper.

    ``regressors`` (dates, regressors) are the regressors' values at ``dates``
    (see :func:`regressor_values`), needed when ``params.regressors`` is set.
    Without uncertainty samples Prophet computes no interval; the bounds are
    then NaN (empty cells in the CSV) rather than a fake zero-width band.
    """
    return pd.DataFrame(predict_columns(model, dates, params, regressors))


@contextmanager
def global_seed(seed: int) -> Iterator[None]:
    """Seed numpy's global RNG (Prophet samples intervals from it), then restore it."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def predict_columns(
    model: Any,
    dates: pd.DatetimeIndex | np.ndarray,
    params: Params,
    regressors: np.ndarray | None = None,
    seed: int | None = None,
) -> dict[str, np.ndarray]:
    """:func:`predict_prophet`'s columns as arrays: no frame at all on the native engine.

    With ``seed`` the interval draws as if numpy's global generator had just
    been seeded with it (:func:`global_seed`), and leaves that generator as it was.
    """
    if seed is not None and not isinstance(model, native.NativeFit):
        with global_seed(seed):
            return predict_columns(model, dates, params, regressors)
    if isinstance(model, native.NativeFit):
        forecast = model.predict(np.asarray(dates, dtype="datetime64[ns]"), regressors, seed)
        return {
            "date": forecast.ds,
            "prediction": forecast.yhat,
            "prediction_lower": forecast.lower,
            "prediction_upper": forecast.upper,
        }
    future = with_bounds(pd.DataFrame({"ds": pd.DatetimeIndex(dates)}), params)
    for j, name in enumerate(params.regressors or ()):
        if regressors is None:
            raise ValueError("this model has regressors: their values at the dates are needed")
        future[name] = np.asarray(regressors, dtype="float64").reshape(len(future), -1)[:, j]
    predicted = model.predict(future)
    nan = np.full(len(predicted), np.nan)
    return {
        "date": predicted["ds"].to_numpy(dtype="datetime64[ns]"),
        "prediction": predicted["yhat"].to_numpy(dtype="float64"),
        "prediction_lower": predicted["yhat_lower"].to_numpy(dtype="float64")
        if "yhat_lower" in predicted
        else nan,
        "prediction_upper": predicted["yhat_upper"].to_numpy(dtype="float64")
        if "yhat_upper" in predicted
        else nan.copy(),
    }


@lru_cache(maxsize=1)
def _array_backend_class() -> type:
    """Prophet's cmdstanpy backend, handing Stan its data as numpy arrays instead of lists.

    Prophet converts every array to a Python list before cmdstanpy writes
    the data file; the JSON writer then walks each element in Python, and
    that costs about a tenth of a fit for a few years of daily data. numpy
    arrays take the writer's vectorised path. Same keys, same values, same
    fit (a test compares this with Prophet's own conversion).
    """
    import_prophet()
    from prophet.models import CmdStanPyBackend

    class ArrayBackend(CmdStanPyBackend):
        # Whether the last fit started from the caller's init (see started_warm).
        started_warm = False

        def fit(self, stan_init: dict[str, Any], stan_data: dict[str, Any], **kwargs: Any) -> Any:
            # Prophet swaps a custom init's vectors of another shape for its
            # defaults one by one, which would start from a mix of two
            # points; a start is taken whole or not at all.
            self.newton_fallback = kwargs.pop("newton_fallback", True)
            custom = kwargs.get("init")
            self.started_warm = custom is not None and all(
                np.shape(custom[key]) == np.shape(stan_init[key]) for key in ("delta", "beta")
            )
            if custom is not None and not self.started_warm:
                del kwargs["init"]
            return super().fit(stan_init, stan_data, **kwargs)

        @staticmethod
        def prepare_data(
            init: dict[str, Any], data: dict[str, Any]
        ) -> tuple[dict[str, Any], dict[str, Any]]:
            stan_data = {key: data[key] for key in _STAN_SCALARS}
            stan_data.update({key: np.asarray(data[key]) for key in _STAN_ARRAYS})
            stan_data["X"] = data["X"].to_numpy()
            stan_init = {key: init[key] for key in _SCALARS}
            stan_init.update({key: np.asarray(init[key]) for key in ("delta", "beta")})
            return stan_init, stan_data

    return ArrayBackend


def array_backend() -> Any:
    """A fresh backend for one model (a backend keeps its last fit, so models don't share one)."""
    return _array_backend_class()()


def started_warm(model: Any) -> bool:
    """Whether ``model``'s fit started from the init it was given (False: a cold start)."""
    if isinstance(model, native.NativeFit):
        return model.started_warm
    return bool(getattr(model.stan_backend, "started_warm", False))


def warm_start_init(model: Any) -> dict[str, Any]:
    """The fitted Stan parameters of ``model``, in the form ``fit_prophet(init=...)`` takes."""
    params: dict[str, np.ndarray] = model.params
    out: dict[str, Any] = {}
    for key in _INIT_KEYS:
        first_draw = np.asarray(params[key])[0]  # MAP fits hold one draw
        out[key] = first_draw.reshape(-1)[0].item() if key in _SCALARS else first_draw
    return out


def versions() -> dict[str, str]:
    """Versions of Prophet, the cmdstan it runs and cmdstanpy, for the report's lineage.

    Read from the installed packages rather than by importing Prophet, which
    a run on the native engine need not pay for.
    """
    return {
        "prophet": version("prophet"),
        "cmdstan": _cmdstan_version(),
        "cmdstanpy": version("cmdstanpy"),
    }


@lru_cache(maxsize=1)
def _cmdstan_version() -> str:
    """The cmdstan Prophet ships (its ``stan_model/cmdstan-<version>`` folder)."""
    spec = find_spec("prophet")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        for folder in sorted(Path(location, "stan_model").glob("cmdstan-*")):
            return folder.name.removeprefix("cmdstan-")
    import_prophet()
    from prophet.models import CmdStanPyBackend

    return str(CmdStanPyBackend.CMDSTAN_VERSION)


def with_bounds(frame: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Add the cap and floor columns logistic growth needs (no-op otherwise)."""
    if params.growth != "logistic":
        return frame
    frame = frame.copy()
    frame["cap"] = params.cap
    if params.floor is not None:
        frame["floor"] = params.floor
    return frame
