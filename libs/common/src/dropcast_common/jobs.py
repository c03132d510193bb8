"""How a job ends, in one place: its status, its outputs' rule, and the results message.

A job ends exactly one way — ``done`` (outputs written), ``failed`` (an error
report written where the outputs would have gone) or ``superseded`` (a newer
upload of the same object replaced it) — and whoever moves it there
publishes the one ``dropcast.result`` message. Ingest (a rejected file, the
watchdog), the dead-letter handler and forecast (assembly, a parameter the
data can't honour) all end jobs through :class:`Jobs`.

For each output stem the bucket holds the outputs of one generation, the
newest processed: a generation never writes beside a newer one's outputs
(it is superseded instead), and whichever ends writes its own and removes
an older generation's other files (a rejection removes the stale forecast,
a success the stale error report).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dropcast_common import naming
from dropcast_common.errors import InputError
from dropcast_common.messages import OutputLocation, SourceObject, WorkMessage
from dropcast_common.pubsub import Publisher
from dropcast_common.reports import ErrorReport
from dropcast_common.status import JobError, JobStatus, StatusStore, mark
from dropcast_common.storage import BlobStore, publish_output, remove_stale_output

log = logging.getLogger("dropcast.jobs")

RESULT_KIND = "dropcast.result"


@dataclass(frozen=True)
class JobRef:
    """A job: its id, the upload it comes from and where its outputs go."""

    job_id: str
    source: SourceObject
    output: OutputLocation

    @property
    def source_uri(self) -> str:
        """``gs://bucket/name`` of the upload."""
        return f"gs://{self.source.bucket}/{self.source.name}"

    @classmethod
    def of_message(cls, message: WorkMessage) -> JobRef:
        """The job a work message belongs to."""
        return cls(message.job_id, message.source, message.output)

    @classmethod
    def of_status(cls, status: JobStatus) -> JobRef | None:
        """The job a status describes (None for a status written before outputs were recorded)."""
        bucket, _, name = status.source.removeprefix("gs://").partition("/")
        if not (bucket and name and status.output_bucket and status.output_stem):
            return None
        return cls(
            status.job_id,
            SourceObject(bucket=bucket, name=name, generation=status.source_generation),
            OutputLocation(bucket=status.output_bucket, stem=status.output_stem),
        )

    def initial_status(self, state: str = "accepted") -> JobStatus:
        """The status a job starts with when nothing was recorded yet."""
        return JobStatus.model_validate(
            {
                "job_id": self.job_id,
                "state": state,
                "source": self.source_uri,
                "source_generation": self.source.generation,
                "output_bucket": self.output.bucket,
                "output_stem": self.output.stem,
            }
        )


class Jobs:
    """Ends jobs: status, outputs' rule and the results message, for one staging bucket."""

    def __init__(
        self, store: BlobStore, publisher: Publisher, staging_bucket: str, results_topic: str = ""
    ) -> None:
        self.store = store
        self.publisher = publisher
        self.statuses = StatusStore(store, staging_bucket)
        self.results_topic = results_topic

    def newer_generation(self, job: JobRef) -> int:
        """The generation of a newer upload whose outputs are already at the job's stem, or 0."""
        newest = 0
        for name in naming.output_objects(job.output.stem):
            info = self.store.stat(job.output.bucket, name)
            if info is None or info.metadata.get(naming.GENERATED_MARK) == job.job_id:
                continue
            newest = max(newest, int(info.metadata.get(naming.SOURCE_GENERATION) or 0))
        return newest if newest > job.source.generation else 0

    def write_outputs(self, job: JobRef, files: list[tuple[str, bytes, str]]) -> dict[str, str]:
        """Write the job's output files (name, bytes, content type) under the outputs' rule."""
        outputs: dict[str, str] = {}
        for name, data, content_type in files:
            publish_output(
                self.store,
                job.output.bucket,
                name,
                data,
                content_type,
                job.job_id,
                job.source.generation,
            )
            outputs[naming.output_kind(name)] = f"gs://{job.output.bucket}/{name}"
        # What an older generation left that this one did not write is stale now.
        written = set(outputs.values())
        for name in naming.output_objects(job.output.stem):
            if f"gs://{job.output.bucket}/{name}" not in written:
                remove_stale_output(
                    self.store, job.output.bucket, name, job.job_id, job.source.generation
                )
        return outputs

    def finish(self, job: JobRef, outputs: Mapping[str, str]) -> bool:
        """Mark the job done with its outputs; returns whether this call ended it."""
        return self._end(job, mark("done", outputs=dict(outputs)), dict(outputs))

    def fail(self, job: JobRef, err: InputError) -> bool:
        """Write the error report where the outputs would have gone and fail the job.

        Returns whether this call ended it. A job whose stem already holds a
        newer upload's outputs is superseded instead: its report would sit
        beside (or over) the newer forecast.
        """
        current = self.statuses.get(job.job_id)
        if current is not None and current.final:
            return False
        newer = self.newer_generation(job)
        if newer:
            return self.supersede(job, newer)
        report = ErrorReport.from_error(err, source=job.source_uri, job_id=job.job_id)
        outputs = self.write_outputs(
            job, [(naming.error_report(job.output.stem), report.to_bytes(), "application/json")]
        )
        error = JobError(code=err.code, message=err.message, hint=err.hint)
        ended = self._end(job, mark("failed", error=error, outputs=outputs), outputs)
        if ended:
            log.warning(
                "job failed: %s [%s]",
                err.message,
                err.code,
                extra={"job_id": job.job_id, "error_code": err.code},
            )
        return ended

    def supersede(self, job: JobRef, by_generation: int) -> bool:
        """End the job as superseded by a newer upload (generation ``by_generation``)."""
        ended = self._end(job, mark("superseded", superseded_by=by_generation), {})
        if ended:
            log.info(
                "superseded by generation %d of %s",
                by_generation,
                job.source_uri,
                extra={"job_id": job.job_id},
            )
        return ended

    def _end(
        self, job: JobRef, change: Callable[[JobStatus], JobStatus], outputs: dict[str, str]
    ) -> bool:
        ended: list[JobStatus] = []

        def end_once(status: JobStatus) -> JobStatus:
            # A lost race re-applies the change: only the try that was written counts.
            ended.clear()
            if status.final:
                return status  # someone else ended it: they publish the result
            new = change(status)
            ended.append(new)
            return new

        result = self.statuses.update(job.job_id, end_once, initial=job.initial_status())
        if not ended or result.state != ended[-1].state:
            return False
        self._publish_result(job, result.state, outputs)
        return True

    def _publish_result(self, job: JobRef, state: str, outputs: Mapping[str, str]) -> None:
        """Tell other systems (the optional ``results`` topic) that the job has ended, once."""
        if not self.results_topic:
            return
        body = {
            "kind": RESULT_KIND,
            "job_id": job.job_id,
            "state": state,
            "source": job.source_uri,
            "source_generation": job.source.generation,
            "outputs": dict(outputs),
        }
        self.publisher.publish(
            self.results_topic,
            json.dumps(body).encode(),
            {"kind": RESULT_KIND, "job_id": job.job_id, "state": state},
        )
