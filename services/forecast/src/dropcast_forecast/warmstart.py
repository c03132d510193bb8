"""Warm starts across uploads: each series' fitted Prophet parameters, kept in staging.

When a user uploads the same object again with a little more data, each
series' optimiser can start from where the last fit ended instead of from
Prophet's default guess. This module turns the per-series inits of one
upload (:func:`dropcast_forecast.model.warm_start_init`) into one JSON
object, ``warmstart/<output stem>.json`` in the staging bucket, and back.

Pure: bytes in, bytes out. A warm start is only an optimisation, so stored
data that is damaged, from another format version, or fitted under other
model settings is ignored (a cold fit follows), never an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from dropcast_common.params import Params

log = logging.getLogger("dropcast.forecast.warmstart")

KIND = "dropcast.warmstart"
VERSION = 1
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


def object_name(stem: str) -> str:
    """Staging object holding the warm starts of every series of the output ``stem``."""
    return f"warmstart/{stem}.json"


def model_fingerprint(params: Params) -> str:
    """A short digest of the parameters that shape the model (see ``_SHAPING``)."""
    shaping = {key: getattr(params, key) for key in _SHAPING}
    return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:16]


def encode(inits: Mapping[str, Mapping[str, Any]], params: Params) -> bytes:
    """Serialise per-series inits (series id → Stan parameters) fitted under ``params``.

    A series whose parameters are not all finite numbers is left out: it
    will simply be fitted cold next time.
    """
    series: dict[str, dict[str, Any]] = {}
    for series_id, init in sorted(inits.items()):
        record = _record(init)
        if record is not None:
            series[str(series_id)] = record
    document = {
        "kind": KIND,
        "version": VERSION,
        "model": model_fingerprint(params),
        "series": series,
    }
    return json.dumps(document, separators=(",", ":")).encode()


def decode(
    data: bytes | None, params: Params, series_ids: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """The inits stored in ``data`` usable under ``params`` (only ``series_ids``, if given).

    Returns ``{}`` for no data, damaged data, another format version or a
    model fitted under other shaping parameters; skips malformed series.
    """
    if not data:
        return {}
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("ignoring unreadable warm starts: %s", exc)
        return {}
    if not isinstance(document, dict) or document.get("kind") != KIND:
        log.warning("ignoring warm starts: not a %s document", KIND)
        return {}
    if document.get("version") != VERSION or document.get("model") != model_fingerprint(params):
        log.info("warm starts were fitted under another format or model; fitting cold")
        return {}
    stored = document.get("series")
    if not isinstance(stored, dict):
        return {}
    wanted = set(stored) if series_ids is None else set(series_ids) & set(stored)
    out: dict[str, dict[str, Any]] = {}
    for series_id in sorted(wanted):
        init = _init(stored[series_id])
        if init is not None:
            out[series_id] = init
    return out


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
    """One stored record back in the form ``fit_prophet(init=...)`` takes, or None."""
    if not isinstance(record, dict) or not _numeric(record):
        return None
    checked = _record(record)
    if checked is None:
        return None
    init: dict[str, Any] = {key: checked[key] for key in SCALARS}
    init.update({key: np.asarray(checked[key], dtype="float64") for key in VECTORS})
    return init


def _numeric(record: dict[str, Any]) -> bool:
    """Whether a stored record holds plain JSON numbers (no strings or booleans passed off)."""

    def number(x: Any) -> bool:
        return isinstance(x, int | float) and not isinstance(x, bool)

    scalars_ok = all(number(record.get(key)) for key in SCALARS)
    vectors = [record.get(key) for key in VECTORS]
    return scalars_ok and all(isinstance(v, list) and all(number(x) for x in v) for v in vectors)
