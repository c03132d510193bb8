"""Every object name comes from dropcast_common.naming: one answer per name."""

from __future__ import annotations

import pytest

from dropcast_common import naming, storage
from dropcast_forecasting import warmstart


def test_the_generated_mark_has_one_home() -> None:
    # storage imports the names without re-exporting them, hence the lookup by name.
    assert vars(storage)["GENERATED_MARK"] is naming.GENERATED_MARK
    assert vars(storage)["SOURCE_GENERATION"] is naming.SOURCE_GENERATION


@pytest.mark.parametrize("kind", list(naming.OUTPUT_SUFFIXES))
def test_output_names_and_kinds_round_trip(kind: str) -> None:
    assert naming.output_kind(naming.output_object("a/b.c", kind)) == kind


def test_the_report_is_not_mistaken_for_another_json_output() -> None:
    assert naming.output_kind("x.report.json") == "report"
    assert naming.output_kind("x.error.json") == "error"
    assert naming.error_report("dir/x") == "dir/x.error.json"


@pytest.mark.parametrize(
    ("name", "output_name", "stem"),
    [
        ("a/b.csv.gz", None, "a/b"),
        ("a/b.tsv", None, "a/b"),
        ("raw/x.csv", "reports/x", "reports/x"),
        ("/../x.csv", None, naming.output_stem("/../x.csv")),
    ],
)
def test_one_way_to_work_out_an_output_stem(name: str, output_name: str | None, stem: str) -> None:
    assert naming.output_stem(name, output_name) == stem
    assert not naming.output_stem(name, output_name).startswith("/")


def test_staging_names_live_under_their_job() -> None:
    job = naming.job_id("in", "x.csv", 7)
    names = [
        naming.staging_shard(job, 3),
        naming.staging_quality(job),
        naming.staging_work(job),
        naming.published_marker(job),
        naming.staging_part(job, 3, ".json"),
        naming.shard_lease(job, 3),
        naming.assembly_lease(job),
        naming.status_object(job),
    ]
    assert all(name.startswith(naming.job_prefix(job)) for name in names)
    assert len(set(names)) == len(names)


def test_warm_starts_are_named_in_naming() -> None:
    assert warmstart.object_name("in", "a.csv") == naming.warmstart_object("in", "a.csv")
    assert naming.warmstart_object("in", "a.csv") != naming.warmstart_object("in2", "a.csv")
