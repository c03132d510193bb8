"""Talk to the local stack as a user would: upload with the storage client, poll outputs."""

from __future__ import annotations

import time
from pathlib import Path

from dropcast_cli.stack import StackInfo
from dropcast_common import naming
from dropcast_common.storage import anonymous_credentials


def client(info: StackInfo):  # type: ignore[no-untyped-def]
    """A storage client for this stack's fake-gcs-server (the official client, as users use)."""
    from google.cloud import storage

    # An explicit endpoint rather than STORAGE_EMULATOR_HOST: talking to one
    # stack must not repoint every other client of the process.
    return storage.Client(
        project=info.project,
        credentials=anonymous_credentials(),
        client_options={"api_endpoint": info.storage_emulator_host},
    )


def upload(info: StackInfo, source: Path, name: str, metadata: dict[str, str] | None = None) -> str:
    """Upload a local file to the input bucket (what ``gcloud storage cp`` does)."""
    blob = client(info).bucket(info.buckets["input"]).blob(name)
    if metadata:
        blob.metadata = metadata
    blob.upload_from_filename(str(source))
    return f"gs://{info.buckets['input']}/{name}"


def wait_for_output(info: StackInfo, name: str, timeout: float) -> tuple[str, bytes]:
    """Wait for ``<stem>.csv`` or ``<stem>.error.json`` in the output bucket."""
    bucket = client(info).bucket(info.buckets["output"])
    stem = naming.output_stem(name)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for candidate in (f"{stem}.csv", f"{stem}.error.json"):
            blob = bucket.get_blob(candidate)
            if blob is not None:
                return candidate, blob.download_as_bytes()
        time.sleep(0.2)
    raise TimeoutError(f"no output for {name} in gs://{info.buckets['output']} after {timeout}s")


def mape(forecast_csv: bytes, reference: Path) -> float:
    """Mean absolute percentage error of a forecast CSV against a reference one, by date."""
    import io

    import pandas as pd

    ours = pd.read_csv(io.BytesIO(forecast_csv))
    ref = pd.read_csv(reference)
    both = ours.merge(ref, on="date", suffixes=("", "_ref"))
    if both.empty:
        raise ValueError(f"no dates in common with {reference}")
    error = ((both["prediction"] - both["prediction_ref"]) / both["prediction_ref"]).abs()
    return float(error.mean() * 100)
