"""External regressors on the local stack: an upload with future rows is forecast with
them; one that lacks a future value is refused with its own code and hint."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from tests.regressor_files import PROMO_EFFECT, promo_csv

from dropcast_cli import localclient
from dropcast_cli.stack import StackInfo

pytestmark = pytest.mark.e2e

REGRESSORS = {"dropcast-regressors": "price,promo", "dropcast-uncertainty-samples": "0"}


def test_an_upload_with_regressors_and_future_rows_is_forecast_with_them(
    stack: StackInfo, tmp_path: Path
) -> None:
    data = promo_csv(tmp_path / "promo.csv")
    localclient.upload(stack, data, "e2e/xreg/promo.csv", metadata=REGRESSORS)
    name, body = localclient.wait_for_output(stack, "e2e/xreg/promo.csv", timeout=600)
    assert name == "e2e/xreg/promo.csv", body[:500]
    forecast = pd.read_csv(io.BytesIO(body))
    future = pd.read_csv(data)
    future = future[future["sales"].isna()]
    for sid in ("a", "b"):
        # The horizon is the future rows: their dates, one forecast each.
        assert forecast.loc[forecast["series_id"] == sid, "date"].tolist() == (
            future.loc[future["id"] == sid, "date"].tolist()
        )
    bucket = localclient.client(stack).bucket(stack.buckets["output"])
    report = json.loads(bucket.blob("e2e/xreg/promo.report.json").download_as_bytes())
    assert report["regressors"]["names"] == ["price", "promo"]
    assert report["regressors"]["candidates"] == ["prophet", "arima"]
    assert "ets" in report["regressors"]["excluded"]
    for series in report["series"]:
        promo = next(e for e in series["regressors"] if e["name"] == "promo")
        assert promo["coef"] == pytest.approx(PROMO_EFFECT, abs=0.5)


def test_an_upload_missing_a_future_regressor_value_is_refused(
    stack: StackInfo, tmp_path: Path
) -> None:
    data = promo_csv(tmp_path / "short.csv", drop_future=3)
    meta = {**REGRESSORS, "dropcast-horizon": "14"}
    localclient.upload(stack, data, "e2e/xreg/short.csv", metadata=meta)
    name, body = localclient.wait_for_output(stack, "e2e/xreg/short.csv", timeout=600)
    assert name == "e2e/xreg/short.error.json"
    error = json.loads(body)
    assert error["code"] == "missing_future_regressors"
    assert error["details"]["series_id"] == "b"
    assert len(error["details"]["missing_dates"]) == 3
    assert "horizon" in error["hint"]
