"""A re-upload of the same object with one more day starts warm, through both services' handlers."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from tests.datagen import daily_series
from tests.services.test_delivery_handlers import SETTINGS, ingest_deps, note

from dropcast_common.messages import WorkMessage
from dropcast_common.testing import InMemoryBlobStore, RecordingPublisher
from dropcast_forecast.bootstrap import ForecastDeps
from dropcast_forecast.config import ForecastSettings
from dropcast_forecast.handlers import handle_work
from dropcast_forecasting import warmstart
from dropcast_ingest.handlers import handle_upload

STATE = warmstart.object_name("in", "daily.csv")


class Uploads:
    """Uploads of ``daily.csv`` run through ingest and forecast to completion, in memory."""

    def __init__(self) -> None:
        self.store = InMemoryBlobStore()
        self.ingest = ingest_deps(self.store)
        self.forecast = ForecastDeps(ForecastSettings(**SETTINGS), self.store, RecordingPublisher())

    def upload(self, days: int, series: int = 2, **params: str) -> dict[str, Any]:
        """Upload ``days`` of ``series`` series; returns the report."""
        data = _series(days, series)
        params.setdefault("model", "prophet")  # warm starts and kept backtests are Prophet's
        metadata = {f"dropcast-{key}": value for key, value in params.items()}
        gen = self.store.put_object("in", "daily.csv", data, metadata)
        handle_upload(note("daily.csv", gen, metadata=metadata), self.ingest)
        return self.run_work(gen)

    def run_work(self, generation: int) -> dict[str, Any]:
        publisher = self.ingest.publisher
        assert isinstance(publisher, RecordingPublisher)
        for message in publisher.on("work"):
            work = WorkMessage.from_bytes(message.data)
            if work.source.generation == generation:
                handle_work(work, self.forecast, f"m{generation}-{work.shard.index}")
        report: dict[str, Any] = json.loads(self.store.read("out", "daily.report.json"))
        return report


def test_one_more_day_starts_every_series_warm_and_keeps_their_backtests() -> None:
    uploads = Uploads()
    first = uploads.upload(120, horizon="8", uncertainty_samples="0")
    assert first["summary"]["warm_started"] == 0
    assert uploads.store.stat("stage", STATE) is not None

    second = uploads.upload(121, horizon="8", uncertainty_samples="0")
    assert second["summary"]["warm_started"] == 2
    assert second["summary"]["backtests_kept"] == 2
    assert [s["backtest_age"] for s in second["series"]] == [1, 1]
    assert [s["backtest"] for s in second["series"]] == [s["backtest"] for s in first["series"]]

    # Two more days: a quarter of the horizon (8) has passed, the backtests are redone.
    third = uploads.upload(123, horizon="8", uncertainty_samples="0")
    assert third["summary"]["warm_started"] == 2
    assert third["summary"]["backtests_kept"] == 0


def test_every_shard_of_a_job_leaves_its_series_warm_starts() -> None:
    uploads = Uploads()  # ingest caps shards at 2 series: 5 series are 3 shards
    first = uploads.upload(120, series=5, horizon="8", uncertainty_samples="0")
    assert first["timings"]["shards"] == 3
    stored = warmstart.decode(uploads.store.read("stage", STATE), cold_params())
    assert sorted(stored) == [f"s{k}" for k in range(1, 6)]
    second = uploads.upload(121, series=5, horizon="8", uncertainty_samples="0")
    assert second["summary"]["warm_started"] == 5
    assert second["summary"]["backtests_kept"] == 5


def test_warm_start_false_fits_cold_and_still_leaves_a_start_for_next_time() -> None:
    uploads = Uploads()
    uploads.upload(120, horizon="8", uncertainty_samples="0")
    cold = uploads.upload(121, horizon="8", uncertainty_samples="0", warm_start="false")
    assert cold["summary"]["warm_started"] == 0
    assert cold["summary"]["backtests_kept"] == 0
    assert cold["lineage"]["parameters"]["warm_start"] is False
    stored = warmstart.decode(uploads.store.read("stage", STATE), cold_params())
    assert {c.observations for c in stored.values()} == {121}


def test_other_model_settings_start_cold() -> None:
    uploads = Uploads()
    uploads.upload(120, horizon="8", uncertainty_samples="0")
    other = uploads.upload(
        121, horizon="8", uncertainty_samples="0", seasonality_mode="multiplicative"
    )
    assert other["summary"]["warm_started"] == 0
    assert other["summary"]["backtests_kept"] == 0


def test_a_late_job_for_an_older_upload_never_replaces_newer_warm_starts() -> None:
    uploads = Uploads()
    store = uploads.store
    prophet = {"dropcast-model": "prophet"}
    old = store.put_object("in", "daily.csv", _two_series(120), prophet)
    handle_upload(note("daily.csv", old, metadata=prophet), uploads.ingest)
    new = store.put_object("in", "daily.csv", _two_series(121), prophet)
    handle_upload(note("daily.csv", new, metadata=prophet), uploads.ingest)
    uploads.run_work(new)
    newer = store.read("stage", STATE)
    uploads.run_work(old)  # the older job finishes last
    assert store.read("stage", STATE) == newer
    stored = warmstart.decode(newer, cold_params())
    assert {c.observations for c in stored.values()} == {121}


def cold_params() -> Any:
    from dropcast_common.params import resolve

    return resolve()


def _two_series(days: int) -> bytes:
    return _series(days, 2)


def _series(days: int, count: int) -> bytes:
    frames = [daily_series(days, seed).assign(id=f"s{seed}") for seed in range(1, count + 1)]
    return pd.concat(frames)[["id", "date", "y"]].to_csv(index=False).encode()


def test_under_auto_one_more_day_keeps_every_series_model_choice() -> None:
    # Through both handlers and the staged warm-start object: the second upload
    # refits each series' winner alone, with the first upload's choice and scores.
    uploads = Uploads()
    first = uploads.upload(120, model="auto", horizon="8")
    assert first["summary"]["backtests_kept"] == 0
    second = uploads.upload(121, model="auto", horizon="8")
    assert second["summary"]["backtests_kept"] == 2
    for before, after in zip(first["series"], second["series"], strict=True):
        assert after["backtest_age"] == 1
        assert after["model"] == before["model"]
        assert after["candidates"] == before["candidates"]
        assert after["observations"] == 121
    third = uploads.upload(123, model="auto", horizon="8")  # a quarter of the horizon later
    assert third["summary"]["backtests_kept"] == 0
