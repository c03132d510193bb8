"""The I/O side of a custom holidays table named by an upload: read it from the input bucket.

``holidays`` may name a CSV object instead of listing its rows. The name
is relative to the folder of the upload (or manifest) that names it, like
a manifest's inputs, and under the same rule: only that folder's objects
unless the deployment allows any (``DROPCAST_MANIFEST_INPUTS_ANYWHERE``).
Keep the table under a ``_``-prefixed folder (``_data/holidays.csv``) so
it is not forecast on its own. The rows then travel in the work messages.
"""

from __future__ import annotations

import posixpath

from dropcast_common import holidays
from dropcast_common.errors import InputError
from dropcast_common.params import Params
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.manifest_inputs import check_under_folder

MAX_HOLIDAY_BYTES = 1024 * 1024


def with_holiday_rows(deps: IngestDeps, bucket: str, upload_name: str, params: Params) -> Params:
    """``params`` with a named holidays table replaced by its validated rows."""
    if not isinstance(params.holidays, str):
        return params
    named = params.holidays
    folder = posixpath.dirname(upload_name)
    name = named.lstrip("/") if named.startswith("/") else posixpath.join(folder, named)
    if not deps.settings.manifest_inputs_anywhere:
        check_under_folder(upload_name, name)
    info = deps.store.stat(bucket, name)
    if info is None:
        raise InputError(
            holidays.CODE,
            f"the holidays table {name} named by {upload_name} is not in the input bucket",
            "Upload the table first, under a _-prefixed folder beside the data (e.g. "
            "_data/holidays.csv), and name it relative to the upload's folder.",
            {"source": name},
        )
    if info.size > MAX_HOLIDAY_BYTES:
        raise InputError(
            holidays.CODE,
            f"the holidays table {name} is {info.size:,} bytes, more than {MAX_HOLIDAY_BYTES:,}",
            "Keep one row per event date; a holidays table is a few thousand rows at most.",
            {"source": name, "bytes": info.size},
        )
    rows = holidays.parse_csv(deps.store.read(bucket, name, generation=info.generation), name)
    return params.model_copy(update={"holidays": rows})
