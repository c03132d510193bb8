"""Warm starts across uploads: what each series carries from one upload of an object to the next.

Users re-upload the same object as data arrives (a daily export with one
more day). Each series then needs neither a cold fit nor, most of the time,
a new backtest:

- its fit starts from the Stan parameters the last fit ended at, instead of
  Prophet's default guess (the optimiser has little left to do);
- its backtest is kept while the history only grew, by fewer values than a
  quarter of the horizon: the held-out window moved so little that the
  metrics would barely change, and the backtest's fit is the biggest cost
  of a refit (benchmark B7). The report says so per series
  (``backtest_age``);
- under ``model=auto`` (or a statsforecast model by name) its model choice
  is kept by the same rule (:class:`KeptChoice`): the winner alone is
  refitted, in its form, instead of every candidate on every window.

This module turns those records into one JSON object in the staging bucket
per source object (:func:`object_name`) and back. Pure: bytes in, bytes out.
A warm start is only an optimisation, so stored data that is damaged, from
another format version or fitted under other model settings is ignored (a
cold fit and a fresh backtest follow), never an error.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dropcast_common import naming
from dropcast_common.params import Params
from dropcast_forecasting.results import Backtest, CandidateScore

log = logging.getLogger("dropcast.forecast.warmstart")

KIND = "dropcast.warmstart"
VERSION = 2
SCALARS = ("k", "m", "sigma_obs")
VECTORS = ("delta", "beta")
# Parameters that change what the Stan parameters mean or how many there
# are; an init fitted under other values is not a valid starting point.
_SHAPING = (
    "growth",
    "seasonality_mode",
    "yearly_seasonality",
    "weekly_seasonality",
    "daily_seasonality",
    "holidays_country",
)
# Everything else a backtest's numbers depend on: under other values a kept
# backtest would describe another model.
_SCORING = (
    *_SHAPING,
    "horizon",
    "frequency",
    "cap",
    "floor",
    "changepoint_prior_scale",
    "seasonality_prior_scale",
    "non_negative",
    "integer",
    # Both engines fit the same model, so a start from either serves the other;
    # their optima differ slightly, so a backtest is kept only within one engine.
    "engine",
    # A backtest under one model setting says nothing about another's choice.
    "model",
)
# A kept backtest's interval coverage was measured with the forecast's
# interval: under other interval settings it is dropped, the rest kept.
_INTERVALS = ("interval_width", "uncertainty_samples")


class KeptChoice(BaseModel):
    """A model choice (``model`` other than prophet) and the rolling-origin backtest behind it.

    Kept while the series only grows a little, like a Prophet backtest (see
    :func:`reusable_choice`): the next upload then refits only the chosen
    model, in the form chosen last time, instead of every candidate on
    every window.
    """

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="The candidate chosen.")
    choice: str | None = None
    scores: list[CandidateScore] = Field(default_factory=list)
    backtest: Backtest | None = None
    backtest_note: str | None = None
    multiplier: float | None = Field(None, description="The calibration factor applied.")
    forms: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Each statsforecast model of the final fit and its form "
        "(ETS components, Theta variant): the refit keeps it.",
    )
    observations: int = Field(description="Values the series had when it was backtested.")
    digest: str = Field(description="history_digest of those values.")


@dataclass(frozen=True)
class Carried:
    """What one series carries to the next upload of the same object."""

    # The fit's Stan parameters (see model.warm_start_init); None when only a
    # model choice is carried (no Prophet was fitted).
    init: Mapping[str, Any] | None
    observations: int  # values that fit saw (or, without one, the series had)
    digest: str  # history_digest of those values
    frequency: str
    backtest: Backtest | None = None
    backtest_observations: int | None = None  # values the series had when it was backtested
    choice: KeptChoice | None = None  # model=auto or a named model other than prophet


def object_name(bucket: str, name: str) -> str:
    """Staging object holding the warm starts of every series of the source ``bucket/name``."""
    return naming.warmstart_object(bucket, name)


def history_digest(ds: np.ndarray, y: np.ndarray) -> str:
    """A digest of a series' dates and values: equal digests, equal histories."""
    hasher = hashlib.sha256(np.ascontiguousarray(ds, dtype="datetime64[ns]").view("int64").data)
    hasher.update(np.ascontiguousarray(y, dtype="float64").data)
    return hasher.hexdigest()


def extends(carried: Carried, ds: np.ndarray, y: np.ndarray) -> bool:
    """Whether the history ``ds``/``y`` is the carried one with values appended (or the same)."""
    n = carried.observations
    return len(ds) >= n and history_digest(ds[:n], y[:n]) == carried.digest


def reusable_backtest(
    carried: Carried | None, ds: np.ndarray, y: np.ndarray, frequency: str, horizon: int
) -> tuple[Backtest, int] | None:
    """The carried backtest and its age (values added since), if it still describes this series.

    It does when the history only grew since that backtest, at the same
    frequency, by fewer values than a quarter of the horizon: the held-out
    window then overlaps the one a new backtest would hold out by more than
    three quarters.
    """
    if carried is None or carried.backtest is None or carried.backtest_observations is None:
        return None
    if carried.frequency != frequency or not extends(carried, ds, y):
        return None
    age = len(ds) - carried.backtest_observations
    if age < 0 or 4 * age >= horizon:
        return None
    return carried.backtest, age


def reusable_choice(
    carried: Carried | None, ds: np.ndarray, y: np.ndarray, frequency: str, horizon: int
) -> tuple[KeptChoice, int] | None:
    """The carried model choice and its age, under the same rule as :func:`reusable_backtest`."""
    if carried is None or carried.choice is None or carried.frequency != frequency:
        return None
    kept = carried.choice
    n = kept.observations
    if len(ds) < n or history_digest(ds[:n], y[:n]) != kept.digest:
        return None
    age = len(ds) - n
    if 4 * age >= horizon:
        return None
    return kept, age


def model_fingerprint(params: Params, fields: Iterable[str] = _SHAPING) -> str:
    """A short digest of the parameters ``fields`` (default: those that shape the model)."""
    values = {key: getattr(params, key) for key in fields}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def encode(carried: Mapping[str, Carried], params: Params) -> bytes:
    """Serialise what each series (by id) carries, fitted under ``params``.

    A series whose parameters are not all finite numbers is left out: it
    will simply be fitted cold next time.
    """
    series: dict[str, dict[str, Any]] = {}
    for series_id, record in sorted(carried.items()):
        init = _record(record.init) if record.init is not None else None
        if init is not None or record.choice is not None:
            series[str(series_id)] = {
                "init": init,
                "observations": record.observations,
                "digest": record.digest,
                "frequency": record.frequency,
                "backtest": record.backtest.model_dump(mode="json") if record.backtest else None,
                "backtest_observations": record.backtest_observations,
                "choice": record.choice.model_dump(mode="json") if record.choice else None,
            }
    document = {
        "kind": KIND,
        "version": VERSION,
        "model": model_fingerprint(params),
        "scoring": model_fingerprint(params, _SCORING),
        "intervals": model_fingerprint(params, _INTERVALS),
        "series": series,
    }
    return json.dumps(document, separators=(",", ":")).encode()


def merge(documents: Iterable[bytes]) -> bytes | None:
    """One document from several encoded with the same parameters (one per shard), or None."""
    merged: dict[str, Any] | None = None
    for data in documents:
        document = json.loads(data)
        if merged is None:
            merged = document
        else:
            merged["series"].update(document["series"])
    return None if merged is None else json.dumps(merged, separators=(",", ":")).encode()


def decode(
    data: bytes | None, params: Params, series_ids: Iterable[str] | None = None
) -> dict[str, Carried]:
    """What ``data`` carries that is usable under ``params`` (only ``series_ids``, if given).

    Returns ``{}`` for no data, damaged data, another format version or a
    model fitted under other shaping parameters; drops the backtests when
    they were scored under other parameters; skips malformed series.
    """
    document = _document(data, params)
    if document is None:
        return {}
    stored = document.get("series")
    if not isinstance(stored, dict):
        return {}
    scored_alike = document.get("scoring") == model_fingerprint(params, _SCORING)
    same_intervals = document.get("intervals") == model_fingerprint(params, _INTERVALS)
    wanted = set(stored) if series_ids is None else set(series_ids) & set(stored)
    out: dict[str, Carried] = {}
    for series_id in sorted(wanted):
        carried = _carried(stored[series_id], scored_alike, scored_alike and same_intervals)
        if carried is not None and carried.backtest is not None and not same_intervals:
            carried = dataclasses.replace(
                carried, backtest=carried.backtest.model_copy(update={"coverage": None})
            )
        if carried is not None:
            out[series_id] = carried
    return out


def _document(data: bytes | None, params: Params) -> dict[str, Any] | None:
    if not data:
        return None
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("ignoring unreadable warm starts: %s", exc)
        return None
    if not isinstance(document, dict) or document.get("kind") != KIND:
        log.warning("ignoring warm starts: not a %s document", KIND)
        return None
    if document.get("version") != VERSION or document.get("model") != model_fingerprint(params):
        log.info("warm starts were fitted under another format or model; fitting cold")
        return None
    return document


def _carried(record: Any, scored_alike: bool, chosen_alike: bool = False) -> Carried | None:
    """One stored series back as :class:`Carried`, or None when any part is malformed.

    A kept choice also needs the same interval settings (its calibration
    factor was estimated for them); a malformed one is dropped alone.
    """
    if not isinstance(record, dict):
        return None
    init = _init(record.get("init"))
    observations = _count(record.get("observations"))
    digest, frequency = record.get("digest"), record.get("frequency")
    choice = _choice(record.get("choice")) if chosen_alike else None
    if (init is None and choice is None) or not observations:
        return None
    if not isinstance(digest, str) or len(digest) != 64 or not isinstance(frequency, str):
        return None
    backtest = _backtest(record.get("backtest")) if scored_alike else None
    backtest_observations = _count(record.get("backtest_observations"))
    if backtest is None or backtest_observations is None or backtest_observations > observations:
        backtest, backtest_observations = None, None
    return Carried(init, observations, digest, frequency, backtest, backtest_observations, choice)


def _choice(record: Any) -> KeptChoice | None:
    if record is None:
        return None
    try:
        return KeptChoice.model_validate(record)
    except ValidationError:
        return None


def _backtest(record: Any) -> Backtest | None:
    if record is None:
        return None
    try:
        return Backtest.model_validate(record)
    except ValidationError:
        return None


def _count(value: Any) -> int | None:
    """``value`` if it is a count (a non-negative JSON integer), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _record(init: Mapping[str, Any]) -> dict[str, Any] | None:
    """JSON-ready form of one init, or None unless every value is a finite number."""
    try:
        scalars = {key: float(init[key]) for key in SCALARS}
        vectors = {
            key: np.asarray(init[key], dtype="float64").reshape(-1).tolist() for key in VECTORS
        }
    except (KeyError, TypeError, ValueError):
        return None
    values = [*scalars.values(), *(x for v in vectors.values() for x in v)]
    if not all(math.isfinite(x) for x in values):
        return None
    return {**scalars, **vectors}


def _init(record: Any) -> dict[str, Any] | None:
    """One stored init back in the form ``fit_prophet(init=...)`` takes, or None."""
    if not isinstance(record, dict) or not _numeric(record):
        return None
    checked = _record(record)
    if checked is None:
        return None
    init: dict[str, Any] = {key: checked[key] for key in SCALARS}
    init.update({key: np.asarray(checked[key], dtype="float64") for key in VECTORS})
    return init


def _numeric(record: dict[str, Any]) -> bool:
    """Whether a stored init holds plain JSON numbers (no strings or booleans passed off)."""

    def number(x: Any) -> bool:
        return isinstance(x, int | float) and not isinstance(x, bool)

    scalars_ok = all(number(record.get(key)) for key in SCALARS)
    vectors = [record.get(key) for key in VECTORS]
    return scalars_ok and all(isinstance(v, list) and all(number(x) for x in v) for v in vectors)
