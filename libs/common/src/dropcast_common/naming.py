"""Where things live: job ids and every object name dropcast builds, in one place.

A job is one upload: the same (bucket, name, generation) always gives the
same job id, so redelivered notifications map onto the same objects and
create-only writes turn duplicates into no-ops. Outputs are named from the
job's output stem, staging objects from its job id, per-source objects
(warm starts, the newest-generation pointer) from a digest of the source.
"""

from __future__ import annotations

import hashlib
import posixpath

from dropcast_common.safety import safe_object_stem

DATA_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".txt", ".parquet", ".dropcast.json")
# Custom metadata on every object dropcast writes: which job wrote it (such
# an object is never an upload), and from which upload generation.
GENERATED_MARK = "dropcast-job"
SOURCE_GENERATION = "dropcast-source-generation"
# Every user-facing output of a stem, by kind (the key of JobStatus.outputs).
OUTPUT_SUFFIXES = {
    "csv": ".csv",
    "png": ".png",
    "report": ".report.json",
    "parquet": ".parquet",
    "error": ".error.json",
    # components=true and anomalies on (docs/forecasting.md, "Explaining the forecast").
    "components": ".components.csv",
    "components_parquet": ".components.parquet",
    "anomalies": ".anomalies.csv",
}
JOBS_PREFIX = "jobs/"


def job_id(bucket: str, name: str, generation: int) -> str:
    """Stable id of one upload (one object generation)."""
    digest = hashlib.sha256(f"{bucket}\x00{name}\x00{generation}".encode()).hexdigest()
    return digest[:24]


def is_data_object(name: str) -> bool:
    """Whether an uploaded object is something dropcast processes."""
    lower = name.lower()
    if lower.endswith("/") or posixpath.basename(lower).startswith("."):
        return False
    return lower.endswith(DATA_SUFFIXES)


def is_manifest(name: str) -> bool:
    """Whether the object is a ``*.dropcast.json`` manifest."""
    return name.lower().endswith(".dropcast.json")


def data_suffix(name: str) -> str:
    """The data suffix ``name`` ends with (``.csv.gz`` before ``.csv``), or ``""``."""
    lower = name.lower()
    for suffix in sorted(DATA_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return name[-len(suffix) :]
    return ""


def output_stem(name: str, output_name: str | None = None) -> str:
    """Where a job's outputs go: ``output_name`` if set, else the input's path without its suffix.

    ``a/b.csv.gz`` → ``a/b``. The one way to work out a stem: ingest, the
    dead-letter handler and forecast (checking a work message) all call it.
    Object names are untrusted: the stem is passed through
    :func:`~dropcast_common.safety.safe_object_stem`, so it never starts
    with ``/``, holds no ``..`` segment or control character, and outputs
    stay under the output prefix.
    """
    if output_name:
        return safe_object_stem(output_name)
    suffix = data_suffix(name)
    return safe_object_stem(name[: -len(suffix)] if suffix else name)


def output_object(stem: str, kind: str) -> str:
    """One output of a stem: ``output_object("a/b", "report")`` → ``a/b.report.json``."""
    return f"{stem}{OUTPUT_SUFFIXES[kind]}"


def error_report(stem: str) -> str:
    """The error report of a stem: ``a/b.error.json``."""
    return output_object(stem, "error")


def output_kind(name: str) -> str:
    """``x.report.json`` → ``report``, ``x.csv`` → ``csv`` (longest suffix first)."""
    for kind, suffix in sorted(OUTPUT_SUFFIXES.items(), key=lambda kv: -len(kv[1])):
        if name.endswith(suffix):
            return kind
    raise ValueError(f"{name!r} is not a dropcast output")


def output_objects(stem: str) -> list[str]:
    """Every output a stem can have (to find and remove another generation's)."""
    return [output_object(stem, kind) for kind in OUTPUT_SUFFIXES]


def job_prefix(job: str) -> str:
    """Everything staged for one job."""
    return f"{JOBS_PREFIX}{job}/"


def staging_shard(job: str, index: int) -> str:
    """Staged canonical table of one shard."""
    return f"{job_prefix(job)}shard-{index:05d}.parquet"


def staging_quality(job: str) -> str:
    """Staged ingest quality report of a job."""
    return f"{job_prefix(job)}quality.json"


def staging_work(job: str) -> str:
    """Every work message of a job, as published (the watchdog re-drives from it)."""
    return f"{job_prefix(job)}work.json"


def published_marker(job: str) -> str:
    """Marks a job's work messages published (a redelivery publishes nothing)."""
    return f"{job_prefix(job)}published"


def parts_prefix(job: str) -> str:
    """Where forecast stages a job's parts."""
    return f"{job_prefix(job)}parts/"


def staging_part(job: str, index: int, suffix: str) -> str:
    """A forecast shard's partial result (``.parquet``, ``.json``, ``.warmstart.json``)."""
    return f"{parts_prefix(job)}{index:05d}{suffix}"


def shard_lease(job: str, index: int) -> str:
    """The lease of the worker computing one shard."""
    return staging_part(job, index, ".lease")


def assembly_lease(job: str) -> str:
    """The lease of the worker assembling a job's outputs."""
    return f"{job_prefix(job)}assembly.lease"


def status_object(job: str) -> str:
    """Status of a job (written by the services, read by ``dropcast status``)."""
    return f"{job_prefix(job)}status.json"


def _source_digest(bucket: str, name: str) -> str:
    return hashlib.sha256(f"{bucket}\x00{name}".encode()).hexdigest()[:32]


def warmstart_object(bucket: str, name: str) -> str:
    """Staging object holding the warm starts of every series of the source ``bucket/name``.

    Keyed by a digest of the source, not its name: any object name gives a
    short, safe staging name, and two sources never share one.
    """
    return f"warmstart/{_source_digest(bucket, name)}.json"


def newest_generation_object(bucket: str, name: str) -> str:
    """The newest generation of ``bucket/name`` that ingest has seen, and its job."""
    return f"sources/{_source_digest(bucket, name)}.json"


def stem_claim(bucket: str, stem: str) -> str:
    """Which input object owns the output stem ``gs://bucket/stem``."""
    return f"stems/{_source_digest(bucket, stem)}.json"
