"""Where things live: job ids and object names, in one place.

A job is one upload: the same (bucket, name, generation) always gives the
same job id, so redelivered notifications map onto the same objects and
create-only writes turn duplicates into no-ops.
"""

from __future__ import annotations

import hashlib
import posixpath

from dropcast_common.safety import safe_object_stem

DATA_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".txt", ".parquet", ".dropcast.json")
OUTPUT_SUFFIXES = (".error.json", ".report.json", ".png")
# Custom metadata on every object dropcast writes (such an object is never an
# upload): which job wrote it, and from which upload generation.
GENERATED_MARK = "dropcast-job"
SOURCE_GENERATION = "dropcast-source-generation"


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


def output_stem(name: str) -> str:
    """The input's path without its data suffix: ``a/b.csv.gz`` → ``a/b``.

    Object names are untrusted: the stem is passed through
    :func:`~dropcast_common.safety.safe_object_stem`, so it never starts
    with ``/``, holds no ``..`` segment or control character, and outputs
    stay under the output prefix.
    """
    lower = name.lower()
    for suffix in sorted(DATA_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return safe_object_stem(name[: -len(suffix)])
    return safe_object_stem(name)


def staging_shard(job: str, index: int) -> str:
    """Staged canonical table of one shard."""
    return f"jobs/{job}/shard-{index:05d}.parquet"


def staging_quality(job: str) -> str:
    """Staged ingest quality report of a job."""
    return f"jobs/{job}/quality.json"


def staging_part(job: str, index: int, suffix: str) -> str:
    """A forecast shard's partial result."""
    return f"jobs/{job}/parts/{index:05d}{suffix}"


def status_object(job: str) -> str:
    """Status of a job (written by the services, read by ``dropcast status``)."""
    return f"jobs/{job}/status.json"
