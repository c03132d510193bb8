"""Manifests: parsing, errors with line/column, and a manifest upload through the handler."""

from __future__ import annotations

import json

import pytest

from dropcast_common import naming, table
from dropcast_common.envelope import PushEnvelope, StorageNotification
from dropcast_common.errors import InputError
from dropcast_common.messages import WorkMessage
from dropcast_common.testing import InMemoryBlobStore, RecordingPublisher, storage_push_body
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.config import IngestSettings
from dropcast_ingest.handlers import Outcome, handle_upload
from dropcast_tables.manifest import is_manifest_input, parse

CSV = b"date,y\n" + b"".join(b"2024-01-%02d,%d\n" % (d, d * 10) for d in range(1, 29))
OTHER = b"day;visits\n" + b"".join(b"%02d/02/2024;%d,5\n" % (d, d) for d in range(1, 29))


def test_manifest_takes_one_input_or_several_relative_to_its_folder() -> None:
    one = parse(b'{"input": "_data/a.csv", "output": "out/x", "params": {"horizon": 7}}', "m")
    assert one.inputs("team/q1.dropcast.json") == ["team/_data/a.csv"]
    assert one.output == "out/x"
    several = parse(b'{"input": ["a.csv", "/root.csv"]}', "m")
    assert several.inputs("team/q1.dropcast.json") == ["team/a.csv", "root.csv"]


@pytest.mark.parametrize(
    ("body", "code", "detail"),
    [
        (b'{"input": "a.csv",\n  "params": {"horizon": 7},}', "manifest_invalid_json", {"line": 2}),
        (b"[1, 2]", "manifest_invalid", {}),
        (b'{"input": "a.csv", "outptu": "x"}', "manifest_invalid", {"field": "outptu"}),
        (b'{"params": {}}', "manifest_invalid", {"field": "input"}),
        (b'{"input": "../secret.csv"}', "manifest_invalid", {"field": "input"}),
        (b'{"input": []}', "manifest_invalid", {"field": "input"}),
        (b"\xff\xfe{", "manifest_invalid_json", {}),
    ],
)
def test_bad_manifests_say_where(body: bytes, code: str, detail: dict[str, object]) -> None:
    with pytest.raises(InputError) as caught:
        parse(body, "m.dropcast.json")
    assert caught.value.code == code
    assert caught.value.hint
    for key, value in detail.items():
        assert caught.value.details[key] == value


def test_invalid_json_reports_line_and_column() -> None:
    with pytest.raises(InputError) as caught:
        parse(b'{\n  "input": "a.csv"\n  "params": {}\n}', "m.dropcast.json")
    assert caught.value.details == {"line": 3, "column": 3}
    assert "line 3" in caught.value.message


def test_underscore_paths_are_manifest_inputs() -> None:
    assert is_manifest_input("_data/a.csv")
    assert is_manifest_input("team/_inputs/a.csv")
    assert is_manifest_input("team/_a.csv")
    assert not is_manifest_input("team/a_b.csv")


def _deps() -> tuple[IngestDeps, InMemoryBlobStore, RecordingPublisher]:
    store, publisher = InMemoryBlobStore(), RecordingPublisher()
    settings = IngestSettings(
        input_bucket="in",
        staging_bucket="stage",
        output_bucket="out",
        default_params={"horizon": "30", "interval_width": "0.5"},
    )
    return IngestDeps(settings, store, publisher), store, publisher


def _upload(deps: IngestDeps, store: InMemoryBlobStore, name: str, data: bytes, meta=None):  # type: ignore[no-untyped-def]
    generation = store.put_object("in", name, data, meta)
    envelope = PushEnvelope.model_validate(storage_push_body("in", name, generation, metadata=meta))
    return handle_upload(StorageNotification.from_message(envelope.message), deps)


def test_manifest_upload_runs_its_inputs_with_layered_params() -> None:
    deps, store, publisher = _deps()
    # The data lands first under _data/: the trigger must skip it.
    data_meta = {"dropcast-horizon": "10", "dropcast-uncertainty-samples": "0"}
    assert _upload(deps, store, "team/_data/a.csv", CSV, data_meta) == Outcome.IGNORED
    assert _upload(deps, store, "team/_data/b.csv", OTHER) == Outcome.IGNORED
    body = {
        "input": ["_data/a.csv", "_data/b.csv"],
        "output": "reports/feb",
        "params": {"horizon": 14},
    }
    outcome = _upload(deps, store, "team/feb.dropcast.json", json.dumps(body).encode())
    assert outcome == Outcome.ACCEPTED
    [message] = [WorkMessage.model_validate_json(m.data) for m in publisher.on("work")]
    # manifest (14) beats data metadata (10) beats settings (30); settings still fill the rest.
    assert message.params.horizon == 14
    assert message.params.uncertainty_samples == 0
    assert message.params.interval_width == 0.5
    assert message.output.stem == "reports/feb"
    shard = table.from_parquet(store.read("stage", message.shard.uri.split("/", 3)[3]))
    assert sorted(shard["series_id"].unique()) == ["a", "b"]
    b = shard[shard["series_id"] == "b"]
    assert b["y"].iloc[0] == 1.5
    assert str(b["ds"].iloc[0].date()) == "2024-02-01"


def test_manifest_naming_a_missing_input_writes_an_error_report() -> None:
    deps, store, publisher = _deps()
    outcome = _upload(deps, store, "x.dropcast.json", b'{"input": "_data/none.csv"}')
    assert outcome == Outcome.REJECTED
    report = json.loads(store.read("out", "x.error.json"))
    assert report["code"] == "manifest_input_missing"
    assert report["details"] == {"input": "_data/none.csv"}
    assert publisher.messages == []


def test_unknown_parameter_in_a_manifest_is_refused() -> None:
    deps, store, _ = _deps()
    _upload(deps, store, "_d/a.csv", CSV)
    outcome = _upload(
        deps, store, "m.dropcast.json", b'{"input": "/_d/a.csv", "params": {"horizn": 3}}'
    )
    assert outcome == Outcome.REJECTED
    report = json.loads(store.read("out", "m.error.json"))
    assert report["code"] == "unknown_parameter"
    assert report["details"] == {"unknown": ["horizn"]}


def test_metadata_params_reach_the_reader() -> None:
    deps, store, publisher = _deps()
    body = b"when,a,b\n" + b"".join(b"2024-01-%02d,%d,%d\n" % (d, d, -d) for d in range(1, 20))
    outcome = _upload(deps, store, "w.csv", body, {"dropcast-value-columns": "b"})
    assert outcome == Outcome.ACCEPTED
    [message] = [WorkMessage.model_validate_json(m.data) for m in publisher.on("work")]
    shard = table.from_parquet(store.read("stage", naming.staging_shard(message.job_id, 0)))
    assert shard["y"].max() == -1.0
