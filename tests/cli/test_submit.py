"""``dropcast submit``: upload, follow the job, download the outputs, exit code by outcome."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from dropcast_cli import submit as submitting
from dropcast_cli.app import app
from dropcast_cli.stack import StackInfo
from dropcast_common import naming
from dropcast_common.errors import InputError
from dropcast_common.status import JobError, JobStatus, StatusStore
from dropcast_common.testing import InMemoryBlobStore

BUCKETS = {"input": "in", "staging": "stage", "output": "out"}


def _status(state: str, code: str = "", **fields: object) -> JobStatus:
    error = JobError(code=code, message="m", hint="h") if code else None
    return JobStatus.model_validate({"job_id": "0" * 24, "state": state, "error": error, **fields})


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (_status("done"), 0),
        (_status("failed", "no_value_column"), 2),  # ingest rejected the file
        (_status("failed", "logistic_needs_cap"), 2),  # forecast refused a parameter
        (_status("failed", "processing_failed"), 1),  # dead-lettered: not the file's fault
        (_status("accepted"), 3),
        (_status("running", shards_total=3, shards_done=[0]), 3),
        (None, 3),
    ],
)
def test_exit_code_tells_rejected_from_failed_from_unfinished(
    status: JobStatus | None, expected: int
) -> None:
    assert submitting.exit_code(status) == expected


def test_params_become_dropcast_metadata_and_are_checked_before_upload() -> None:
    assert submitting.upload_metadata(["horizon=14", "frequency=D"]) == {
        "dropcast-horizon": "14",
        "dropcast-frequency": "D",
    }
    with pytest.raises(InputError) as caught:
        submitting.upload_metadata(["horizon=soon"])
    assert caught.value.code == "invalid_parameter"
    with pytest.raises(InputError):
        submitting.upload_metadata(["horizon"])


@pytest.mark.parametrize("name", ["notes.md", "chart.png", "_inputs/a.csv", "dir/.hidden.csv"])
def test_names_the_pipeline_would_ignore_are_refused(name: str) -> None:
    with pytest.raises(InputError) as caught:
        submitting.check_submittable(name)
    assert caught.value.code == "not_a_data_file"


Pipeline = Callable[[InMemoryBlobStore, str, str], None]


def _uploader(store: InMemoryBlobStore, pipeline: Pipeline) -> submitting.Uploader:
    """Upload into the in-memory store, then let ``pipeline`` answer as the services would."""

    def upload(source: Path, bucket: str, name: str, metadata: dict[str, str]) -> int:
        generation = store.put_object(bucket, name, source.read_bytes(), metadata)
        pipeline(store, naming.job_id(bucket, name, generation), name)
        return generation

    return upload


def _forecast_done(store: InMemoryBlobStore, job: str, name: str) -> None:
    stem = naming.output_stem(name)
    report = {
        "lineage": {"job_id": job, "parameters": {"horizon": 28}},
        "summary": {"series": 2, "prophet": 2, "fallback": 0, "skipped": 0, "median_mase": 0.5},
    }
    for suffix, body in [
        (".csv", b"series_id,date,prediction\n"),
        (".png", b"\x89PNG"),
        (".report.json", json.dumps(report).encode()),
    ]:
        store.put_object("out", stem + suffix, body)
    outputs = {
        "csv": f"gs://out/{stem}.csv",
        "png": f"gs://out/{stem}.png",
        "report": f"gs://out/{stem}.report.json",
    }
    done = JobStatus(job_id=job, state="done", series=2, shards_total=2, shards_done=[0, 1])
    StatusStore(store, "stage").update(job, lambda _: done.model_copy(update={"outputs": outputs}))


def _failed(code: str) -> Pipeline:
    def pipeline(store: InMemoryBlobStore, job: str, name: str) -> None:
        stem = naming.output_stem(name)
        body = {"code": code, "message": "why", "hint": "fix", "details": {"row": 3}, "job_id": job}
        store.put_object("out", f"{stem}.error.json", json.dumps(body).encode())
        failed = JobStatus(
            job_id=job,
            state="failed",
            error=JobError(code=code, message="why", hint="fix"),
            outputs={"error": f"gs://out/{stem}.error.json"},
        )
        StatusStore(store, "stage").update(job, lambda _: failed)

    return pipeline


def _run(
    tmp_path: Path, pipeline: Pipeline, name: str = "data/sales.csv", outdir: str = "forecasts"
) -> submitting.Submission:
    source = tmp_path / "sales.csv"
    source.write_text("date,y\n2024-01-01,1\n")
    store = InMemoryBlobStore()
    return submitting.submit(
        source,
        store=store,
        upload=_uploader(store, pipeline),
        buckets=BUCKETS,
        name=name,
        metadata={},
        timeout=5,
        outdir=tmp_path / outdir,
        sleep=lambda _: None,
    )


def test_done_downloads_outputs_with_the_names_the_bucket_and_forecast_use(tmp_path: Path) -> None:
    result = _run(tmp_path, _forecast_done)
    assert result.exit_code == 0
    out = tmp_path / "forecasts"
    assert result.files == {
        "csv": out / "sales.csv",
        "png": out / "sales.png",
        "report": out / "sales.report.json",
    }
    assert (tmp_path / "sales.csv").read_text() == "date,y\n2024-01-01,1\n"  # the input, intact
    text = submitting.summary(result)
    assert "series 2" in text
    assert "horizon 28" in text
    assert "median backtest MASE 0.500" in text
    assert f"chart        {out / 'sales.png'}" in text
    assert result.as_dict()["files"]["csv"] == str(out / "sales.csv")
    assert result.as_dict()["exit_code"] == 0


def test_an_output_folder_where_the_forecast_would_replace_the_input_is_refused_first(
    tmp_path: Path,
) -> None:
    uploads: list[str] = []
    with pytest.raises(InputError) as caught:
        _run(tmp_path, lambda _s, _j, name: uploads.append(name), outdir=".")
    assert caught.value.code == "output_overwrites_input"
    assert "-o DIR" in caught.value.hint
    assert uploads == []


def test_rejected_prints_the_error_report(tmp_path: Path) -> None:
    result = _run(tmp_path, _failed("no_value_column"))
    assert result.exit_code == 2
    error = tmp_path / "forecasts" / "sales.error.json"
    assert json.loads(error.read_text())["code"] == "no_value_column"
    text = submitting.summary(result)
    assert "error [no_value_column]: why" in text
    assert "hint: fix" in text
    assert '"row": 3' in text


def test_dead_lettered_job_is_a_failure_not_a_rejection(tmp_path: Path) -> None:
    result = _run(tmp_path, _failed("processing_failed"))
    assert result.exit_code == 1
    assert f"dropcast logs {result.job_id}" in submitting.summary(result)


def test_a_job_that_never_finishes_times_out_with_exit_3(tmp_path: Path) -> None:
    source = tmp_path / "x.csv"
    source.write_text("date,y\n")
    store = InMemoryBlobStore()
    ticks = iter(range(100))
    result = submitting.submit(
        source,
        store=store,
        upload=_uploader(store, lambda *_: None),
        buckets=BUCKETS,
        name="x.csv",
        metadata={},
        timeout=3,
        outdir=tmp_path / "forecasts",
        sleep=lambda _: None,
        clock=lambda: float(next(ticks)),
    )
    assert result.exit_code == 3
    assert result.files == {}


def test_output_of_an_earlier_upload_of_the_same_name_is_flagged(tmp_path: Path) -> None:
    def earlier_job_wrote_the_outputs(store: InMemoryBlobStore, job: str, name: str) -> None:
        _forecast_done(store, job, name)
        report = json.loads(store.read("out", "data/sales.report.json"))
        report["lineage"]["job_id"] = "f" * 24
        store.put_object("out", "data/sales.report.json", json.dumps(report).encode())

    result = _run(tmp_path, earlier_job_wrote_the_outputs)
    assert result.exit_code == 1
    assert "earlier upload of the same name" in submitting.summary(result)


def test_bad_parameter_is_refused_before_any_stack_is_needed(tmp_path: Path) -> None:
    source = tmp_path / "x.csv"
    source.write_text("date,y\n")
    result = CliRunner().invoke(
        app, ["submit", str(source), "--param", "horizon=-3", "--home", str(tmp_path / "none")]
    )
    assert result.exit_code == 2
    assert "[invalid_parameter]" in result.output


def test_without_a_local_stack_says_how_to_start_one(tmp_path: Path) -> None:
    source = tmp_path / "x.csv"
    source.write_text("date,y\n")
    result = CliRunner().invoke(app, ["submit", str(source), "--home", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "dropcast up" in result.output


# --- against the local stack, as a user runs it -------------------------------------------


def _cli(stack: StackInfo, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    home = Path(stack.logs["ingest"]).parent.parent
    return subprocess.run(
        [sys.executable, "-m", "dropcast_cli", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "120"},
    )


@pytest.mark.e2e
def test_submit_a_good_file_on_the_local_stack(
    stack: StackInfo, hyndsight: Path, tmp_path: Path
) -> None:
    source = tmp_path / "hyndsight.csv"
    source.write_bytes(hyndsight.read_bytes())
    run = _cli(
        stack,
        "submit",
        str(source),
        "--name",
        "cli/submit/good/hyndsight.csv",
        "--param",
        "horizon=14",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    out = tmp_path / "forecasts"  # the default, as for `dropcast forecast`
    forecast = pd.read_csv(out / "hyndsight.csv")
    assert list(forecast.columns) == ["date", "prediction", "prediction_lower", "prediction_upper"]
    assert len(forecast) == 14
    assert (out / "hyndsight.png").read_bytes().startswith(b"\x89PNG")
    report = json.loads((out / "hyndsight.report.json").read_text())
    assert report["lineage"]["parameters"]["horizon"] == 14
    assert source.read_bytes() == hyndsight.read_bytes()
    # The summary: state, series, horizon, backtest MASE, where the chart is.
    lines = run.stdout.splitlines()
    assert lines[0].endswith("done  gs://dropcast-input/cli/submit/good/hyndsight.csv")
    mase = report["summary"]["median_mase"]
    [(model, count)] = report["summary"]["wins"].items()
    assert count == 1
    assert f"series 1 ({model} 1, skipped 0)  horizon 14  median backtest MASE {mase:.3f}" in lines
    assert f"chart        {Path('forecasts') / 'hyndsight.png'}" in lines
    # Progress went to stderr: upload, acceptance, the bar at its end.
    assert "uploaded gs://dropcast-input/cli/submit/good/hyndsight.csv" in run.stderr
    assert "accepted: 1 series in 1 shard(s)" in run.stderr
    assert "1/1" in run.stderr
    # The same job through `dropcast status` and `dropcast logs`.
    job = lines[0].split()[1]
    status = _cli(stack, "status", "cli/submit/good/hyndsight.csv", cwd=tmp_path)
    assert status.returncode == 0
    assert status.stdout.startswith(f"{job}  done")
    # Status says done just before assembly logs its line: wait for the line (a loaded
    # machine may take a while; a healthy one is there at once).
    deadline = time.monotonic() + 120
    while True:
        logs = _cli(stack, "logs", job, cwd=tmp_path)
        trail = logs.stdout.splitlines()
        if (trail and "assembled" in trail[-1]) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert all(f"job_id={job}" in line for line in trail)
    assert "notification for gs://dropcast-input/cli/submit/good/hyndsight.csv" in trail[0]
    assert "assembled 1 shard(s)" in trail[-1]


@pytest.mark.e2e
def test_submit_a_bad_file_on_the_local_stack(stack: StackInfo, tmp_path: Path) -> None:
    source = tmp_path / "sales.csv"
    source.write_text("date,y\n2024-01-01,about 3\n2024-01-02,n/a\n")
    out = tmp_path / "results"
    run = _cli(
        stack,
        "submit",
        str(source),
        "--name",
        "cli/submit/bad/sales.csv",
        "--output",
        str(out),
        cwd=tmp_path,
    )
    assert run.returncode == 2, run.stdout + run.stderr
    report = json.loads((out / "sales.error.json").read_text())
    assert report["source"] == "gs://dropcast-input/cli/submit/bad/sales.csv"
    assert sorted(p.name for p in out.iterdir()) == ["sales.error.json"]
    assert f"error [{report['code']}]: {report['message']}" in run.stdout
    assert f"hint: {report['hint']}" in run.stdout
    assert f"error report {out / 'sales.error.json'}" in run.stdout
