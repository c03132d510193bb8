"""The forecast push endpoint: work message in, forecast CSV out, once."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from tests.jobs_support import accept

from dropcast_common import naming, table
from dropcast_common.messages import OutputLocation, Shard, SourceObject, WorkMessage
from dropcast_common.params import Params
from dropcast_common.testing import InMemoryBlobStore, RecordingPublisher, push_body
from dropcast_forecast.bootstrap import ForecastDeps
from dropcast_forecast.config import ForecastSettings
from dropcast_forecast.main import create_app

SETTINGS = ForecastSettings(input_bucket="in", staging_bucket="stage", output_bucket="out")


@pytest.fixture
def store() -> InMemoryBlobStore:
    return InMemoryBlobStore()


@pytest.fixture
def client(store: InMemoryBlobStore) -> Iterator[TestClient]:
    deps = ForecastDeps(settings=SETTINGS, store=store, publisher=RecordingPublisher())
    with TestClient(create_app(deps)) as test_client:
        yield test_client


def _work(store: InMemoryBlobStore, csv: Path, horizon: int = 28) -> WorkMessage:
    raw = pd.read_csv(csv)
    frame = pd.DataFrame({"series_id": "y", "ds": pd.to_datetime(raw["date"]), "y": raw["y"]})
    job = naming.job_id("in", "h.csv", 1)
    name = naming.staging_shard(job, 0)
    store.create("stage", name, table.to_parquet(frame))
    return accept(
        store,
        WorkMessage(
            job_id=job,
            source=SourceObject(bucket="in", name="h.csv", generation=1),
            shard=Shard(index=0, count=1, uri=f"gs://stage/{name}", series=1),
            params=Params(horizon=horizon),
            output=OutputLocation(bucket="out", stem="h"),
            staging_bucket="stage",
        ),
    )


@pytest.mark.parametrize("payload", [b"not json", b'{"kind": "dropcast.work", "version": 99}'])
def test_a_body_that_is_not_a_work_message_is_400(client: TestClient, payload: bytes) -> None:
    assert client.post("/push/work", json=push_body(payload)).status_code == 400


def test_work_message_writes_the_forecast_csv(
    client: TestClient, store: InMemoryBlobStore, hyndsight: Path
) -> None:
    work = _work(store, hyndsight, horizon=5)
    assert client.post("/push/work", json=push_body(work.to_bytes())).status_code == 204
    out = pd.read_csv(io.BytesIO(store.read("out", "h.csv")))
    assert list(out.columns) == ["date", "prediction", "prediction_lower", "prediction_upper"]
    assert out["date"].tolist() == [f"2015-04-{d}" for d in range(30, 31)] + [
        f"2015-05-0{d}" for d in range(1, 5)
    ]
    assert (out["prediction_lower"] < out["prediction"]).all()
    assert (out["prediction"] < out["prediction_upper"]).all()


def test_redelivered_work_message_writes_once(
    client: TestClient, store: InMemoryBlobStore, hyndsight: Path
) -> None:
    work = _work(store, hyndsight, horizon=3)
    for _ in range(3):
        assert client.post("/push/work", json=push_body(work.to_bytes())).status_code == 204
    assert store.writes.count(("out", "h.csv")) == 1
