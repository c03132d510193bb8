"""Forecast use cases: one function each, adapters passed in."""

from __future__ import annotations

import logging
import time
from enum import StrEnum

from dropcast_common import table
from dropcast_common.errors import PreconditionFailedError
from dropcast_common.messages import WorkMessage
from dropcast_forecast.bootstrap import ForecastDeps
from dropcast_forecast.model import forecast_table
from dropcast_forecast.writer import to_csv

log = logging.getLogger("dropcast.forecast")


class Outcome(StrEnum):
    """How a work message ended."""

    DONE = "done"
    ALREADY_DONE = "already_done"


def handle_work(message: WorkMessage, deps: ForecastDeps) -> Outcome:
    """Forecast one shard and write the outputs (create-only, so duplicates are no-ops)."""
    out = message.output
    csv_name = f"{out.stem}.csv"
    if deps.store.stat(out.bucket, csv_name) is not None:
        log.info(
            "output gs://%s/%s exists: duplicate delivery",
            out.bucket,
            csv_name,
            extra={"job_id": message.job_id},
        )
        return Outcome.ALREADY_DONE
    started = time.perf_counter()
    bucket, name = _split_uri(message.shard.uri)
    canonical = table.from_parquet(deps.store.read(bucket, name))
    forecast = forecast_table(canonical, message.params)
    try:
        deps.store.create(out.bucket, csv_name, to_csv(forecast), "text/csv")
    except PreconditionFailedError:
        log.info(
            "output gs://%s/%s written by a concurrent delivery",
            out.bucket,
            csv_name,
            extra={"job_id": message.job_id},
        )
        return Outcome.ALREADY_DONE
    log.info(
        "forecast gs://%s/%s: %d series in %.3fs",
        out.bucket,
        csv_name,
        canonical["series_id"].nunique(),
        time.perf_counter() - started,
        extra={"job_id": message.job_id, "shard": message.shard.index},
    )
    return Outcome.DONE


def _split_uri(uri: str) -> tuple[str, str]:
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    return bucket, name
