"""The whole pipeline as a user drives it: upload → notification → ingest → work → forecast."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dropcast_cli import localclient
from dropcast_cli.stack import StackInfo

pytestmark = pytest.mark.e2e


def gcloud_cp(stack: StackInfo, source: Path, name: str, *flags: str) -> None:
    """Upload exactly as the README tells users to: ``gcloud storage cp``."""
    env = {
        **os.environ,
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE": f"{stack.storage_emulator_host}/storage/v1/",
        "CLOUDSDK_AUTH_DISABLE_CREDENTIALS": "true",
        "CLOUDSDK_CORE_PROJECT": stack.project,
    }
    subprocess.run(
        ["gcloud", "storage", "cp", *flags, str(source), f"gs://{stack.buckets['input']}/{name}"],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )


def mape(predicted: pd.Series, expected: pd.Series) -> float:
    return float(np.mean(np.abs((predicted.to_numpy() - expected.to_numpy()) / expected)) * 100)


@pytest.mark.skipif(shutil.which("gcloud") is None, reason="gcloud CLI not installed")
def test_upload_with_gcloud_gives_the_original_forecast(
    stack: StackInfo, hyndsight: Path, hyndsight_seed: Path
) -> None:
    started = time.monotonic()
    # model=prophet: the original project's model, as the README's demo shows it.
    gcloud_cp(
        stack, hyndsight, "e2e/gcloud/hyndsight.csv", "--custom-metadata=dropcast-model=prophet"
    )
    name, body = localclient.wait_for_output(stack, "e2e/gcloud/hyndsight.csv", timeout=600)
    elapsed = time.monotonic() - started
    assert name == "e2e/gcloud/hyndsight.csv"
    out = pd.read_csv(io.BytesIO(body))
    seed = pd.read_csv(hyndsight_seed)
    assert list(out.columns) == ["date", "prediction", "prediction_lower", "prediction_upper"]
    assert out["date"].tolist() == seed["date"].tolist()
    assert mape(out["prediction"], seed["prediction"]) < 1.0
    assert elapsed < 60


def test_two_files_at_once(stack: StackInfo, hyndsight: Path, tmp_path: Path) -> None:
    monthly = tmp_path / "monthly.csv"
    dates = pd.date_range("2015-01-01", periods=60, freq="MS")
    values = 100 + 10 * np.sin(np.arange(60) * 2 * np.pi / 12) + np.arange(60)
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "y": values}).to_csv(monthly, index=False)
    uploads = {"e2e/pair/a.csv": hyndsight, "e2e/pair/b.csv": monthly}
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda item: localclient.upload(stack, item[1], item[0]), uploads.items()))
    outputs = {name: localclient.wait_for_output(stack, name, timeout=600) for name in uploads}
    a = pd.read_csv(io.BytesIO(outputs["e2e/pair/a.csv"][1]))
    b = pd.read_csv(io.BytesIO(outputs["e2e/pair/b.csv"][1]))
    assert len(a) == 28
    assert a["date"].iloc[0] == "2015-04-30"
    assert len(b) == 28
    # Monthly data continues on month starts.
    assert b["date"].iloc[0] == "2020-01-01"
    assert b["date"].iloc[1] == "2020-02-01"


def test_bad_file_gets_an_error_report(stack: StackInfo, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("")
    localclient.upload(stack, bad, "e2e/bad/bad.csv")
    name, body = localclient.wait_for_output(stack, "e2e/bad/bad.csv", timeout=600)
    assert name == "e2e/bad/bad.error.json"
    assert b'"code": "empty_file"' in body
