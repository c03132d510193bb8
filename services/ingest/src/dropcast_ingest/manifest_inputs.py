"""The I/O side of a manifest upload: read it, fetch its inputs, resolve its parameters.

Parameters resolve as defaults < service settings < each input's object
metadata < the manifest object's own metadata < the manifest's ``params``
(and its ``output``). Each input is normalised with the parameters of its
own metadata layer; the job runs with all inputs' layers merged in order.
"""

from __future__ import annotations

import posixpath
import tempfile
from pathlib import Path
from typing import Any

from dropcast_common import naming
from dropcast_common.envelope import StorageNotification
from dropcast_common.errors import BlobNotFoundError, InputError
from dropcast_common.params import Params, from_metadata, resolve
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_tables import manifest
from dropcast_tables.normalise import Normalised, normalise


def read_manifest_upload(
    deps: IngestDeps, note: StorageNotification
) -> tuple[Params, str, Normalised]:
    """Params, output stem and canonical table of the job a manifest describes."""
    obj = note.object
    store, limits = deps.store, deps.limits
    doc = manifest.parse(store.read(obj.bucket, obj.name, generation=obj.generation), obj.name)
    base: dict[str, Any] = dict(deps.settings.default_params)
    own = from_metadata(obj.metadata)
    body: dict[str, Any] = dict(doc.params)
    if doc.output:
        body["output_name"] = doc.output
    layers: list[dict[str, str]] = []
    parts: list[tuple[str, Normalised]] = []
    for name in doc.inputs(obj.name):
        if not deps.settings.manifest_inputs_anywhere:
            check_under_folder(obj.name, name)
        info = store.stat(obj.bucket, name)
        if info is None:
            raise _missing(obj.name, name)
        limits.check_bytes(info.size, name)
        layer = from_metadata(info.metadata)
        layers.append(layer)
        params = resolve(base, layer, own, body)
        with tempfile.TemporaryDirectory(prefix="dropcast-manifest-") as tmp:
            local = Path(tmp) / "input"
            try:
                store.download(obj.bucket, name, local, generation=info.generation)
            except BlobNotFoundError as exc:
                raise _missing(obj.name, name) from exc
            parts.append((name, normalise(local, name, params, limits)))
    combined = manifest.combine(parts)
    limits.check_series(combined.series_count, obj.name)
    params = resolve(base, *layers, own, body)
    return params, naming.output_stem(obj.name, params.output_name), combined


def check_under_folder(manifest_name: str, name: str) -> None:
    """A manifest reads only objects under its own folder (DROPCAST_MANIFEST_INPUTS_ANYWHERE).

    Whoever may upload a manifest into one folder must not be able to have
    another folder's data read into their forecast (``/victim/sales.csv``).
    """
    folder = posixpath.dirname(manifest_name)
    prefix = f"{folder}/" if folder else ""
    segments = name.split("/")
    if name.startswith(prefix) and ".." not in segments and "." not in segments:
        return
    raise InputError(
        "manifest_input_outside_folder",
        f"manifest {manifest_name} names {name}, which is outside the manifest's folder "
        f"{prefix or '(the bucket root)'}",
        f"Move the data under {prefix or 'the manifest folder'} (e.g. {prefix}_data/) and name "
        "it relative to the manifest; reading other folders needs the deployment setting "
        "DROPCAST_MANIFEST_INPUTS_ANYWHERE=true.",
        {"input": name, "folder": prefix},
    )


def _missing(manifest_name: str, name: str) -> InputError:
    return InputError(
        "manifest_input_missing",
        f"manifest {manifest_name} names {name}, which is not in the input bucket",
        "Upload the data file first (under a _-prefixed folder such as _data/ so it is not "
        "also forecast on its own), then the manifest; input names are relative to the "
        "manifest's folder unless they start with /.",
        {"input": name},
    )
