"""``dropcast submit``: upload a file, follow its job, download what it produced.

The job is followed through its status object (``dropcast_common.status``):
the upload's generation gives the job id, ingest writes ``accepted`` with the
shard count, each forecast shard adds itself to ``shards_done``, assembly
writes ``done`` with the outputs, and a rejection or a dead letter writes
``failed`` with the reason.

Exit codes (:func:`exit_code`, the table in :mod:`dropcast_cli.exits`): 0
done; 2 rejected (the file or its parameters; the error report says how to
fix it); 1 failed (a dead-lettered job: ``failed`` with code
``processing_failed``, a platform fault or a bug, not the file) or the
submission itself could not be made; 3 not finished within ``--timeout``
(the job goes on; ``dropcast status JOB --wait``).
"""

from __future__ import annotations

import json
import posixpath
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from dropcast_cli import exits
from dropcast_common import naming
from dropcast_common.errors import PROCESSING_FAILED as DEAD_LETTER_CODE
from dropcast_common.errors import InputError
from dropcast_common.params import METADATA_PREFIX, from_pairs, resolve
from dropcast_common.safety import safe_local_path
from dropcast_common.status import JobStatus, StatusStore
from dropcast_common.storage import BlobStore
from dropcast_forecasting.render.report import format_warnings
from dropcast_tables.manifest import is_manifest_input

EXIT_DONE = exits.DONE
EXIT_FAILED = exits.FAILED
EXIT_REJECTED = exits.REJECTED
EXIT_PENDING = exits.PENDING

Uploader = Callable[[Path, str, str, dict[str, str]], int]
"""(local file, bucket, object name, custom metadata) → the new object's generation."""


class Watch(Protocol):
    """What a submission reports while it runs (a progress bar, or nothing)."""

    def uploaded(self, uri: str, job_id: str) -> None:
        """The file is in the input bucket; its job id is known."""

    def changed(self, status: JobStatus) -> None:
        """The job's status object changed (accepted, a shard done, done, failed)."""


class QuietWatch:
    """A Watch that shows nothing."""

    def uploaded(self, uri: str, job_id: str) -> None:
        """Nothing to show."""

    def changed(self, status: JobStatus) -> None:
        """Nothing to show."""


@dataclass
class Submission:
    """What a submission found out and wrote."""

    job_id: str
    uri: str
    status: JobStatus | None
    files: dict[str, Path] = field(default_factory=dict)
    """Downloaded outputs by kind: csv, png, report, error."""
    report: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    stale: str = ""
    """Set when the output found belongs to another upload of the same name."""

    def as_dict(self) -> dict[str, Any]:
        """What ``submit --json`` prints: the job, its status, the files, the exit code."""
        return {
            "job_id": self.job_id,
            "uri": self.uri,
            "exit_code": self.exit_code,
            "status": None if self.status is None else self.status.model_dump(mode="json"),
            "files": {kind: str(path) for kind, path in self.files.items()},
            "summary": None if self.report is None else self.report.get("summary"),
            "error": self.error,
            "stale": self.stale or None,
        }

    @property
    def exit_code(self) -> int:
        """0 done, 2 rejected, 1 failed (dead letter or stale output), 3 not finished."""
        if self.stale:
            return EXIT_FAILED
        return exit_code(self.status)


def exit_code(status: JobStatus | None) -> int:
    """The exit code a job's status maps to (see the module docstring)."""
    if status is None or not status.final:
        return EXIT_PENDING
    if status.state == "done":
        return EXIT_DONE
    if status.state == "superseded":
        return exits.SUPERSEDED
    return EXIT_FAILED if is_dead_lettered(status) else EXIT_REJECTED


def is_dead_lettered(status: JobStatus) -> bool:
    """A job Pub/Sub gave up on (the dead-letter handler's code), as opposed to a rejected file."""
    return (
        status.state == "failed"
        and status.error is not None
        and (status.error.code == DEAD_LETTER_CODE)
    )


def upload_metadata(pairs: Sequence[str]) -> dict[str, str]:
    """``--param name=value`` pairs as the object metadata ingest reads (``dropcast-<name>``).

    The parameters are validated here with the same model ingest uses, so a
    typo fails at once (InputError) instead of after an upload.
    """
    given = from_pairs(pairs)
    resolve(given)
    return {f"{METADATA_PREFIX}{name}": value for name, value in given.items()}


def check_submittable(object_name: str) -> None:
    """Refuse, before uploading, a name the pipeline would ignore (and never answer)."""
    if not naming.is_data_object(object_name) or is_manifest_input(object_name):
        raise InputError(
            "not_a_data_file",
            f"{object_name!r} is not a name dropcast processes, so no job would start",
            "Upload a .csv, .csv.gz, .tsv, .txt, .parquet or .dropcast.json file whose name "
            "and folders do not start with '.' or '_' (or choose one with --name).",
            {"name": object_name},
        )


def submit(
    source: Path,
    *,
    store: BlobStore,
    upload: Uploader,
    buckets: dict[str, str],
    name: str,
    metadata: dict[str, str],
    timeout: float,
    outdir: Path,
    protect: Path | None = None,
    watch: Watch | None = None,
    poll_seconds: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Submission:
    """Upload ``source`` as ``name``, wait for its job to finish, download its outputs.

    ``protect`` (the source, by default) is never overwritten by a download.
    """
    watch = watch or QuietWatch()
    check_submittable(name)
    check_outdir(name, outdir, protect or source)
    generation = upload(source, buckets["input"], name, metadata)
    job = naming.job_id(buckets["input"], name, generation)
    uri = f"gs://{buckets['input']}/{name}"
    watch.uploaded(uri, job)
    status = wait(
        StatusStore(store, buckets["staging"]), job, timeout, watch, poll_seconds, sleep, clock
    )
    result = Submission(job_id=job, uri=uri, status=status)
    if status is None or not status.final:
        return result
    result.files = download_outputs(store, status, outdir, protect or source)
    result.report = _json_file(result.files.get("report"))
    result.error = _json_file(result.files.get("error"))
    found = result.report["lineage"].get("job_id") if result.report else None
    if result.error is not None:
        found = result.error.get("job_id")
    if found and found != job:
        result.stale = (
            f"the output belongs to job {found}, an earlier upload of the same name, not to "
            f"{job}: outputs are written once per name. Submit again with another --name."
        )
    return result


def wait(
    statuses: StatusStore,
    job: str,
    timeout: float,
    watch: Watch,
    poll_seconds: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> JobStatus | None:
    """Poll the job's status until done or failed (or the timeout); reports every change."""
    deadline = clock() + timeout
    last: JobStatus | None = None
    while True:
        current = statuses.get(job)
        if current is not None and (last is None or _progress(current) != _progress(last)):
            watch.changed(current)
            last = current
        if (current is not None and current.final) or clock() >= deadline:
            return current
        sleep(poll_seconds)


def _progress(status: JobStatus) -> tuple[str, int, int]:
    return status.state, status.shards_total, len(status.shards_done)


def check_outdir(name: str, outdir: Path, protect: Path) -> None:
    """Refuse, before uploading, an output folder where the forecast would replace the input.

    Outputs keep the names they have in the bucket (``x.csv`` for ``x.csv``,
    as ``dropcast forecast`` writes them), so they go to their own folder.
    """
    forecast = safe_local_path(outdir, posixpath.basename(naming.output_stem(name)) + ".csv")
    if forecast.resolve() == protect.resolve():
        raise _overwrite_error(forecast, protect)


def _overwrite_error(output: Path, source: Path) -> InputError:
    return InputError(
        "output_overwrites_input",
        f"the forecast {output} would overwrite the input {source}",
        "Choose another output directory with -o DIR (the default is ./forecasts).",
        {"input": str(source), "output_dir": str(output.parent)},
    )


def download_outputs(
    store: BlobStore, status: JobStatus, outdir: Path, protect: Path | None = None
) -> dict[str, Path]:
    """Download every output the status names into ``outdir``; returns the paths by kind.

    Files keep their object's base name, as in the bucket and as ``dropcast
    forecast`` names them. A file that would replace ``protect`` (the input)
    raises InputError(``output_overwrites_input``) before anything is written.
    """
    planned: dict[str, tuple[str, str, Path]] = {}
    for kind, uri in sorted(status.outputs.items()):
        bucket, _, obj = uri.removeprefix("gs://").partition("/")
        dest = safe_local_path(outdir, posixpath.basename(obj))
        if protect is not None and dest.resolve() == protect.resolve():
            raise _overwrite_error(dest, protect)
        planned[kind] = (bucket, obj, dest)
    outdir.mkdir(parents=True, exist_ok=True)
    for bucket, obj, dest in planned.values():
        store.download(bucket, obj, dest)
    return {kind: dest for kind, (_, _, dest) in planned.items()}


def _json_file(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else None


def summary(result: Submission) -> str:
    """A few lines for a person: what happened, the numbers that matter, where the files are."""
    status = result.status
    if status is None:
        return f"job {result.job_id}: no status yet (not accepted)"
    lines = [f"job {result.job_id}  {status.state}  {result.uri}"]
    if result.report is not None:
        summ = result.report.get("summary", {})
        horizon = result.report.get("lineage", {}).get("parameters", {}).get("horizon")
        mase = summ.get("median_mase")
        lines.append(
            f"series {summ.get('series', status.series)} ({_models_used(summ)})"
            f"  horizon {horizon}"
            f"  median backtest MASE {'n/a' if mase is None else f'{mase:.3f}'}"
        )
        lines += format_warnings(result.report)
    elif not status.final:
        lines.append(f"shards {status.progress}  series {status.series}")
    elif status.state == "superseded":
        lines.append(f"superseded by a newer upload (generation {status.superseded_by})")
    if result.error is not None:
        lines.append(f"error [{result.error.get('code')}]: {result.error.get('message')}")
        if result.error.get("hint"):
            lines.append(f"hint: {result.error['hint']}")
        if result.error.get("details"):
            lines.append(f"details: {json.dumps(result.error['details'], ensure_ascii=True)}")
        if is_dead_lettered(status):
            lines.append(f"logs: dropcast logs {result.job_id}")
    labels = {"csv": "forecast", "png": "chart", "report": "report", "error": "error report"}
    for kind in ("csv", "png", "report", "error"):
        if kind in result.files:
            lines.append(f"{labels[kind]:<12} {result.files[kind]}")
    if result.stale:
        lines.append(f"warning: {result.stale}")
    return "\n".join(lines)


def gcs_uploader(client: Any) -> Uploader:
    """An Uploader on a ``google.cloud.storage.Client`` (what ``gcloud storage cp`` does).

    The upload is unconditional, like a user's: uploading a name again makes
    a new generation, hence a new job.
    """

    def upload(source: Path, bucket: str, name: str, metadata: dict[str, str]) -> int:
        blob = client.bucket(bucket).blob(name)
        if metadata:
            blob.metadata = metadata
        blob.upload_from_filename(str(source), timeout=UPLOAD_TIMEOUT_SECONDS)
        return int(blob.generation)

    return upload


UPLOAD_TIMEOUT_SECONDS = 600.0


class ProgressWatch:
    """A rich progress bar: upload, accepted, shards done/total, done (on the given Progress)."""

    def __init__(self, progress: Any) -> None:
        self._progress = progress
        self._task = progress.add_task("uploading", total=None)
        self._announced = False

    def uploaded(self, uri: str, job_id: str) -> None:
        """Say where the file went and which job follows it."""
        self._progress.console.print(f"uploaded {uri}  job {job_id}")
        self._progress.update(self._task, description="waiting for ingest")

    def changed(self, status: JobStatus) -> None:
        """Move the bar: one step per shard, then done or failed."""
        done, total = len(status.shards_done), status.shards_total
        if total and not self._announced:
            # Said once, even when the first status we see is already running or done.
            self._announced = True
            self._progress.console.print(f"accepted: {status.series} series in {total} shard(s)")
        descriptions = {
            "accepted": "forecasting",
            "running": "forecasting" if done < total else "assembling",
            "done": "done",
            "failed": "failed",
        }
        if status.state == "done":
            done = total = max(total, 1)
        self._progress.update(
            self._task,
            description=descriptions[status.state],
            total=total or None,
            completed=done,
        )


def _models_used(summary: dict[str, Any]) -> str:
    """``ets 3, prophet 1, skipped 0``: how many series each model forecast."""
    wins = summary.get("wins")
    if not isinstance(wins, dict):  # a report from before model choice
        wins = {"prophet": summary.get("prophet", 0), "fallback": summary.get("fallback", 0)}
    used = [f"{name} {count}" for name, count in sorted(wins.items())]
    return ", ".join([*used, f"skipped {summary.get('skipped', 0)}"])
