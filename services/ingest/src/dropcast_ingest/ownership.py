"""Who owns what: the newest generation of each input object, and each output stem's object.

Both are small JSON objects in the staging bucket, changed only by
compare-and-swap, so concurrent notifications agree:

- ``sources/<digest>.json``: the newest generation of an input object ingest
  has seen, and its job. An older generation's job is superseded by it, and a
  late notification of an older generation ends superseded at once.
- ``stems/<digest>.json``: the input object whose outputs go to a stem.
  ``coll.csv`` and ``coll.tsv`` in one folder would both write ``coll.*``;
  the second gets ``coll-tsv`` instead (its status says so), and an explicit
  output name held by another live object is refused.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from dropcast_common import naming
from dropcast_common.envelope import StorageObject
from dropcast_common.errors import (
    BlobNotFoundError,
    InputError,
    PreconditionFailedError,
    TransientError,
)
from dropcast_common.storage import BlobStore

log = logging.getLogger("dropcast.ingest.ownership")

CAS_ATTEMPTS = 10


@dataclass(frozen=True)
class Newest:
    """The newest generation of an object seen before this notification, and its job."""

    generation: int
    job_id: str


def _read(store: BlobStore, bucket: str, name: str, generation: int) -> dict[str, object]:
    try:
        data = json.loads(store.read(bucket, name, generation=generation))
    except (BlobNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record_generation(store: BlobStore, staging: str, obj: StorageObject, job: str) -> Newest:
    """Record ``obj``'s generation as its newest if it is; returns what was newest before.

    A returned generation above ``obj.generation`` means this upload was
    replaced already; below it, that generation's job is now superseded.
    """
    name = naming.newest_generation_object(obj.bucket, obj.name)
    body = json.dumps({"generation": obj.generation, "job_id": job}).encode()
    for _ in range(CAS_ATTEMPTS):
        info = store.stat(staging, name)
        try:
            if info is None:
                store.create(staging, name, body, "application/json")
                return Newest(0, "")
            held = _read(store, staging, name, info.generation)
            before = Newest(int(str(held.get("generation") or 0)), str(held.get("job_id") or ""))
            if before.generation >= obj.generation:
                return before
            store.replace(staging, name, body, "application/json", info.generation)
            return before
        except PreconditionFailedError:
            continue  # another notification of the same object won the race: look again
    raise TransientError(f"newest generation of {obj.uri} kept changing under us; retry")


def claim_stem(
    store: BlobStore,
    staging: str,
    output_bucket: str,
    stem: str,
    obj: StorageObject,
    explicit: bool,
) -> str:
    """The stem ``obj``'s outputs go to: ``stem`` if free or already its own.

    A derived stem held by another live object is disambiguated with the
    input's suffix (``coll-tsv``, then a digest of the name); an explicit
    one (``output_name``, a manifest's ``output``) is refused with
    ``output_name_taken``. A claim whose object no longer exists is free.
    """
    candidates = [stem]
    if not explicit:
        suffix = naming.data_suffix(obj.name).replace(".", "-")
        candidates += [f"{stem}{suffix}", naming.output_stem(f"{stem}{suffix}\x00{obj.name}")]
    owner = ""
    for candidate in candidates:
        owner = _claim(store, staging, output_bucket, candidate, obj)
        if owner == obj.uri:
            if candidate != stem:
                log.warning(
                    "outputs of %s go to %s: %s belongs to another input",
                    obj.uri,
                    candidate,
                    stem,
                )
            return candidate
    raise InputError(
        "output_name_taken",
        f"the output name {stem!r} belongs to the job of {owner}, another input object",
        "Choose another output_name (or manifest output), or delete the other input object "
        "first if its outputs may be replaced.",
        {"output_name": stem, "owner": owner},
    )


def _claim(
    store: BlobStore, staging: str, output_bucket: str, stem: str, obj: StorageObject
) -> str:
    """Claim ``stem`` for ``obj`` if free; returns its owner's URI afterwards."""
    name = naming.stem_claim(output_bucket, stem)
    body = json.dumps({"owner": obj.uri, "output": f"gs://{output_bucket}/{stem}"}).encode()
    for _ in range(CAS_ATTEMPTS):
        info = store.stat(staging, name)
        try:
            if info is None:
                store.create(staging, name, body, "application/json")
                return obj.uri
            owner = str(_read(store, staging, name, info.generation).get("owner") or "")
            if owner == obj.uri or (owner and _alive(store, owner)):
                return owner
            store.replace(staging, name, body, "application/json", info.generation)
            return obj.uri
        except PreconditionFailedError:
            continue
    raise TransientError(f"the claim on output {stem} kept changing under us; retry")


def _alive(store: BlobStore, uri: str) -> bool:
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    return store.stat(bucket, name) is not None
