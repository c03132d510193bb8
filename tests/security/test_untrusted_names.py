"""Untrusted object names and output names never put a file outside the output prefix.

Covers the pure rules (dropcast_common.safety, naming.output_stem), the
``output_name`` parameter, the ingest service end to end (where the error
report of a hostile name lands) and the one-shot command's local paths.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dropcast_common import naming, safety
from dropcast_common.envelope import PushEnvelope, StorageNotification
from dropcast_common.errors import InputError
from dropcast_common.params import resolve
from dropcast_common.testing import InMemoryBlobStore, RecordingPublisher, storage_push_body
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.config import IngestSettings
from dropcast_ingest.handlers import Outcome, handle_upload

HOSTILE_NAMES = [
    "../../etc/passwd.csv",
    "/abs/olute.csv",
    "a/../../b.csv",
    "a/./b/../c.csv",
    "..csv",
    "../.csv",
    "a//b.csv",
    "line\nbreak.csv",
    "carriage\rreturn.csv",
    "nul\x00byte.csv",
    "esc\x1b[31mred.csv",
    "bidi\u202etxt.csv",
    "zero\u200bwidth.csv",
    "sep\u2028arator.csv",
    "back\\slash\\..\\..\\x.csv",
    "x" * 1000 + ".csv",
    ("dir/" * 300) + "deep.csv",
    "é" * 600 + ".csv",
]


def _escapes(stem: str) -> bool:
    """Whether ``prefix/stem`` could resolve outside ``prefix``."""
    joined = posixpath.normpath(posixpath.join("/prefix", stem))
    return not joined.startswith("/prefix/")


def _clean(stem: str) -> bool:
    return not any(safety._unsafe_char(ch) for ch in stem)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_output_stem_of_hostile_name_stays_under_prefix(name: str) -> None:
    stem = naming.output_stem(name)
    assert stem
    assert not stem.startswith("/")
    assert ".." not in stem.split("/")
    assert not _escapes(stem)
    assert _clean(stem)
    assert len(f"{stem}.report.json".encode()) <= 1024
    assert all(len(seg.encode()) <= 255 for seg in stem.split("/"))


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("sales.csv", "sales"),
        ("team a/2024/sales.csv.gz", "team a/2024/sales"),
        ("données/café ☕.parquet", "données/café ☕"),
        ("x.dropcast.json", "x"),
        ("UPPER.CSV", "UPPER"),
    ],
)
def test_ordinary_names_are_unchanged(name: str, stem: str) -> None:
    assert naming.output_stem(name) == stem


def test_different_hostile_names_never_share_outputs() -> None:
    stems = [naming.output_stem(n) for n in ["a\nb.csv", "a\rb.csv", "a_b.csv", "../a_b.csv"]]
    assert len(set(stems)) == len(stems)


def test_sanitised_stem_is_deterministic() -> None:
    # Redeliveries must map to the same outputs (create-only writes make them no-ops).
    assert naming.output_stem("../x\n.csv") == naming.output_stem("../x\n.csv")


@given(st.text(max_size=400))
@settings(max_examples=300, deadline=None)
def test_any_name_gives_a_contained_clean_stem(name: str) -> None:
    stem = safety.safe_object_stem(name)
    assert stem
    assert not _escapes(stem)
    assert _clean(stem)
    assert len(stem.encode("utf-8", "surrogatepass")) <= safety.MAX_NAME_BYTES


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("../escape", "'..'"),
        ("/abs", "starts with '/'"),
        ("a/./b", "'.'"),
        ("a//b", "empty path segment"),
        ("trailing/", "empty path segment"),
        ("ctl\x07", "U+0007"),
        ("bidi\u202e", "U+202E"),
        ("win\\path", "U+005C"),
        ("   ", "empty"),
        ("y" * 901, "longer than 900 bytes"),
        ("z" * 201, "segment is longer"),
    ],
)
def test_unsafe_output_name_parameter_is_refused_with_reason(value: str, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        resolve({"output_name": value})
    assert caught.value.code == "invalid_parameter"
    assert caught.value.details["parameter"] == "output_name"
    assert reason in caught.value.message


@pytest.mark.parametrize("value", ["forecasts/sales", "a b/c-d_e.f", "ünïcode/名前"])
def test_safe_output_name_parameter_is_kept(value: str) -> None:
    assert resolve({"output_name": value}).output_name == value


@pytest.mark.parametrize("name", HOSTILE_NAMES[:15])
def test_ingest_writes_error_report_of_hostile_name_inside_output_bucket(name: str) -> None:
    store, publisher = InMemoryBlobStore(), RecordingPublisher()
    deps = IngestDeps(
        IngestSettings(input_bucket="in", staging_bucket="stage", output_bucket="out"),
        store,
        publisher,
    )
    generation = store.put_object("in", name, b"")  # empty: rejected with a report
    envelope = PushEnvelope.model_validate(storage_push_body("in", name, generation))
    outcome = handle_upload(StorageNotification.from_message(envelope.message), deps)
    if outcome == Outcome.IGNORED:  # e.g. "..csv" is a hidden file: nothing is written
        assert store.writes == []
        return
    written = [n for (bucket, n) in store.writes if bucket == "out"]
    assert len(written) == 1, store.writes
    assert written[0] == f"{naming.output_stem(name)}.error.json"
    assert not _escapes(written[0])
    assert _clean(written[0])
    assert publisher.messages == []


@pytest.mark.parametrize(
    "filename",
    [
        "../../outside.csv",
        "/etc/cron.d/x.csv",
        "sub/dir/name.csv",
        "..",
        ".",
        "",
        "con:out?*.csv",
        "a\nb.csv",
        "bidi\u202egpj.csv",
        "x" * 400 + ".report.json",
    ],
)
def test_local_path_is_always_inside_the_directory(tmp_path: Path, filename: str) -> None:
    path = safety.safe_local_path(tmp_path, filename)
    assert path.parent == tmp_path
    assert "/" not in path.name
    assert path.name not in ("", ".", "..")
    assert _clean(path.name)
    assert len(path.name.encode()) <= 255
    if filename.endswith((".csv", ".json")):
        assert path.suffix == Path(filename).suffix
    path.write_text("ok")  # a real file name the filesystem accepts


def test_local_path_through_planted_symlink_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    outdir = tmp_path / "out"
    outdir.mkdir()
    (outdir / "report.csv").symlink_to(outside / "victim.csv")
    with pytest.raises(InputError) as caught:
        safety.safe_local_path(outdir, "report.csv")
    assert caught.value.code == "unsafe_output_path"


def test_one_shot_writes_only_inside_output_directory(tmp_path: Path) -> None:
    from dropcast_cli import oneshot

    source = tmp_path / "in" / "evil\x1bname.csv"
    source.parent.mkdir()
    source.write_bytes(b"")  # rejected: exercises the error-report path
    outdir = tmp_path / "out"
    result = oneshot.run(source, outdir, ["horizon=3"])
    assert not result.ok
    assert [p.parent for p in result.outputs] == [outdir]
    assert _clean(result.outputs[0].name)


def test_one_shot_refuses_traversing_output_name(tmp_path: Path) -> None:
    from dropcast_cli import oneshot

    source = tmp_path / "ok.csv"
    source.write_text("date,y\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n")
    result = oneshot.run(source, tmp_path / "out", ["output_name=../../escaped"])
    assert not result.ok
    assert result.error is not None
    assert result.error.code == "invalid_parameter"
    assert not (tmp_path / "escaped.csv").exists()
    assert [p.parent for p in result.outputs] == [tmp_path / "out"]
