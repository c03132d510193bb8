"""Components, anomalies and a custom holidays table, proven on the local stack."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dropcast_cli import localclient
from dropcast_cli.stack import StackInfo

pytestmark = pytest.mark.e2e


def _spiked(path: Path) -> str:
    """A daily series with a weekly cycle and one spike; returns the spike's date."""
    rng = np.random.default_rng(11)
    t = np.arange(240)
    y = 80 + 0.2 * t + 6 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, 240)
    y[200] += 50
    dates = pd.date_range("2024-01-01", periods=240, freq="D")
    frame = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "orders": y.round(3)})
    frame.to_csv(path, index=False)
    return str(dates[200].date())


def _read(stack: StackInfo, name: str) -> bytes:
    blob = localclient.client(stack).bucket(stack.buckets["output"]).get_blob(name)
    assert blob is not None, f"{name} was not written"
    data: bytes = blob.download_as_bytes()
    return data


def test_one_upload_writes_components_anomalies_and_uses_the_holidays(
    stack: StackInfo, tmp_path: Path
) -> None:
    data = tmp_path / "orders.csv"
    spike = _spiked(data)
    table = tmp_path / "holidays.csv"
    table.write_text("name,date,lower_window,upper_window\nsale,2024-03-01,-1,1\n")
    localclient.upload(stack, data, "e2e/explain/_data/orders.csv")
    localclient.upload(stack, table, "e2e/explain/_data/holidays.csv")
    manifest = tmp_path / "orders.dropcast.json"
    params = {
        "horizon": 14,
        "model": "prophet",
        "components": True,
        "anomalies": "flag",
        "chart": "components",
        "holidays": "_data/holidays.csv",
    }
    manifest.write_text(json.dumps({"input": "_data/orders.csv", "params": params}))
    localclient.upload(stack, manifest, "e2e/explain/orders.dropcast.json")
    name, body = localclient.wait_for_output(stack, "e2e/explain/orders.csv", timeout=600)
    assert name == "e2e/explain/orders.csv"
    forecast = pd.read_csv(io.BytesIO(body))

    components = pd.read_csv(io.BytesIO(_read(stack, "e2e/explain/orders.components.csv")))
    assert len(components) == 240 + 14
    assert {"trend", "weekly", "holidays", "additive_terms", "multiplicative_terms"} <= set(
        components
    )
    rebuilt = components["trend"] * (1 + components["multiplicative_terms"])
    rebuilt += components["additive_terms"]
    assert np.abs(rebuilt - components["yhat"]).max() < 1e-6
    ahead = components["yhat"].tail(14).to_numpy()
    assert np.abs(ahead - forecast["prediction"].to_numpy()).max() < 1e-6
    around = components["date"].isin(["2024-02-29", "2024-03-01", "2024-03-02"])
    assert (components.loc[around, "holidays"] != 0).all()

    anomalies = pd.read_csv(io.BytesIO(_read(stack, "e2e/explain/orders.anomalies.csv")))
    assert spike in anomalies["date"].tolist()
    report = json.loads(_read(stack, "e2e/explain/orders.report.json"))
    assert report["summary"]["anomalies"] == len(anomalies)
    assert report["series"][0]["holidays"] == 1
    assert report["series"][0]["seasonal_amplitude"]["weekly"] > 3
    assert {"e2e/explain/orders.components.csv", "e2e/explain/orders.anomalies.csv"} <= set(
        report["outputs"]
    )
    assert _read(stack, "e2e/explain/orders.png").startswith(b"\x89PNG")


def test_a_holidays_table_with_a_bad_date_is_refused(stack: StackInfo, tmp_path: Path) -> None:
    data = tmp_path / "orders.csv"
    _spiked(data)
    localclient.upload(stack, data, "e2e/explain/_data/bad-orders.csv")
    manifest = tmp_path / "bad.dropcast.json"
    rows = [{"name": "sale", "date": "2024-03-01"}, {"name": "sale", "date": "1 March"}]
    manifest.write_text(json.dumps({"input": "_data/bad-orders.csv", "params": {"holidays": rows}}))
    localclient.upload(stack, manifest, "e2e/explain/bad.dropcast.json")
    name, body = localclient.wait_for_output(stack, "e2e/explain/bad.csv", timeout=600)
    assert name == "e2e/explain/bad.error.json"
    report = json.loads(body)
    assert report["code"] == "invalid_holidays"
    assert report["details"]["line"] == 2
    assert "YYYY-MM-DD" in report["hint"]


def test_a_holidays_table_that_is_not_there_is_refused(stack: StackInfo, tmp_path: Path) -> None:
    data = tmp_path / "orders.csv"
    _spiked(data)
    meta = {"dropcast-holidays": "_data/no-such-holidays.csv"}
    localclient.upload(stack, data, "e2e/explain/missing.csv", metadata=meta)
    name, body = localclient.wait_for_output(stack, "e2e/explain/missing.csv", timeout=600)
    assert name == "e2e/explain/missing.error.json"
    report = json.loads(body)
    assert report["code"] == "invalid_holidays"
    assert report["details"]["source"] == "e2e/explain/_data/no-such-holidays.csv"
    assert "Upload the table first" in report["hint"]
