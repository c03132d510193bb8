"""Parameters that travel with the upload, proven on the local stack: metadata and manifests."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pandas as pd
import pytest

from dropcast_cli import localclient
from dropcast_cli.stack import StackInfo

pytestmark = pytest.mark.e2e


def _european(hyndsight: Path, target: Path) -> Path:
    """hyndsight as a German spreadsheet exports it: ';', decimal comma, day-first dates."""
    frame = pd.read_csv(hyndsight)
    out = pd.DataFrame(
        {
            "Datum": pd.to_datetime(frame["date"]).dt.strftime("%d.%m.%Y"),
            "Besuche": frame["y"].map(lambda v: f"{v / 10:.1f}".replace(".", ",")),
        }
    )
    out.to_csv(target, sep=";", index=False, encoding="cp1252")
    return target


def test_object_metadata_sets_parameters(stack: StackInfo, hyndsight: Path) -> None:
    meta = {"dropcast-horizon": "7", "dropcast-uncertainty-samples": "0"}
    localclient.upload(stack, hyndsight, "e2e/params/meta.csv", metadata=meta)
    name, body = localclient.wait_for_output(stack, "e2e/params/meta.csv", timeout=600)
    assert name == "e2e/params/meta.csv"
    out = pd.read_csv(io.BytesIO(body))
    assert len(out) == 7
    assert out["date"].iloc[0] == "2015-04-30"


def test_unknown_metadata_parameter_is_reported(stack: StackInfo, hyndsight: Path) -> None:
    localclient.upload(stack, hyndsight, "e2e/params/typo.csv", metadata={"dropcast-horizn": "7"})
    name, body = localclient.wait_for_output(stack, "e2e/params/typo.csv", timeout=600)
    assert name == "e2e/params/typo.error.json"
    report = json.loads(body)
    assert report["code"] == "unknown_parameter"
    assert report["details"] == {"unknown": ["horizn"]}


def test_manifest_names_data_output_and_parameters(
    stack: StackInfo, hyndsight: Path, tmp_path: Path
) -> None:
    data = _european(hyndsight, tmp_path / "visits.csv")
    # The data's own metadata says 3; the manifest's 14 must win.
    localclient.upload(
        stack, data, "e2e/params/_data/visits.csv", metadata={"dropcast-horizon": "3"}
    )
    manifest = tmp_path / "visits.dropcast.json"
    manifest.write_text(
        json.dumps(
            {
                "input": "_data/visits.csv",
                "output": "e2e/params/out/visits-14",
                "params": {"horizon": 14, "uncertainty_samples": 0},
            }
        )
    )
    localclient.upload(stack, manifest, "e2e/params/visits.dropcast.json")
    name, body = localclient.wait_for_output(stack, "e2e/params/out/visits-14.csv", timeout=600)
    assert name == "e2e/params/out/visits-14.csv"
    out = pd.read_csv(io.BytesIO(body))
    assert len(out) == 14
    assert out["date"].iloc[0] == "2015-04-30"
    # Reference forecast is about 1200 visits a day; the file held tenths.
    assert 50 < out["prediction"].mean() < 250
    # The _-prefixed data file was not forecast on its own.
    time.sleep(2)
    with pytest.raises(TimeoutError):
        localclient.wait_for_output(stack, "e2e/params/_data/visits.csv", timeout=1)


def test_bad_manifest_gets_an_error_report_with_position(stack: StackInfo, tmp_path: Path) -> None:
    manifest = tmp_path / "bad.dropcast.json"
    manifest.write_text('{\n  "input": "_data/x.csv",\n  "params": {"horizon": 7},\n}\n')
    localclient.upload(stack, manifest, "e2e/params/bad.dropcast.json")
    name, body = localclient.wait_for_output(stack, "e2e/params/bad.dropcast.json", timeout=600)
    assert name == "e2e/params/bad.error.json"
    report = json.loads(body)
    assert report["code"] == "manifest_invalid_json"
    assert report["details"]["line"] == 4
