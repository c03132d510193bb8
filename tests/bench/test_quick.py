"""The benchmark suite still runs (``nox -s bench -- --quick``), and its measuring is right.

The quick run (``nox -s heavy``) starts the local stack and runs every benchmark at tiny
sizes; it checks that each one produced its figures, never their values
(timings on a shared machine are not a test). The helpers below it are
checked against things whose answer is known.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
import pytest

from dropcast_bench import b5_cold_start
from dropcast_bench.data import long_csv
from dropcast_bench.measure import BenchError, run_measured
from dropcast_bench.results import Check, Outcome, markdown
from dropcast_bench.run import ALL, run_suite
from dropcast_bench.scale import QUICK
from dropcast_common.params import resolve
from dropcast_tables.normalise import normalise


@pytest.mark.e2e
@pytest.mark.slow
# Starts a stack of its own and runs all seven benchmarks: minutes on a busy machine
# (259 s in one run of the test line). nox -s heavy runs it, and CI runs that.
@pytest.mark.heavy
def test_quick_suite_runs_every_benchmark(tmp_path: Path) -> None:
    document = run_suite(QUICK, work=tmp_path)
    assert document["stack_error"] is None
    outcomes = {o["id"]: o for o in document["outcomes"]}
    assert tuple(outcomes) == ALL
    for key, outcome in outcomes.items():
        assert outcome["error"] is None, f"{key}: {outcome['error']}"
        assert outcome["checks"], key
        for check in outcome["checks"]:
            assert math.isfinite(check["value"]), (key, check)
            assert check["met"] in (True, False)
    assert document["table"].count("\n") == 2 + sum(len(o["checks"]) for o in outcomes.values())
    assert document["machine"]["cores_usable"] >= 1
    assert not list(tmp_path.iterdir()), "the suite left scratch files behind"


def test_child_cpu_and_memory_are_its_own(tmp_path: Path) -> None:
    # Half a second of pure Python work and ~200 MiB held: wait4 must see both.
    code = (
        "import time; block = bytearray(200 * 2**20); end = time.process_time() + 0.5\n"
        "while time.process_time() < end: pass\n"
        "print('{\"ok\": true}')"
    )
    measured = run_measured([sys.executable, "-c", code])
    assert measured.cpu >= 0.45
    assert measured.wall >= measured.cpu * 0.5
    assert measured.max_rss_mib >= 200
    assert measured.json() == {"ok": True}


def test_a_failing_child_is_an_error_with_its_message() -> None:
    with pytest.raises(BenchError, match="exited 3") as raised:
        run_measured([sys.executable, "-c", "import sys; sys.exit('bad input' and 3)"])
    assert "-c" in str(raised.value)


def test_generated_file_is_what_ingest_reads(tmp_path: Path) -> None:
    path = long_csv(tmp_path / "x.csv", series=3, days=40, seed=5)
    assert path.read_text().splitlines()[0] == "id,date,value"
    frame = normalise(path, path.name, resolve()).frame
    assert len(frame) == 120
    assert frame["series_id"].nunique() == 3
    assert frame["ds"].min() == pd.Timestamp("2021-01-01")
    assert (frame["y"] > 0).all()
    # Seeded: the same call writes the same bytes.
    assert long_csv(tmp_path / "y.csv", 3, 40, seed=5).read_bytes() == path.read_bytes()


@pytest.mark.parametrize(
    ("op", "value", "met"),
    [("<=", 1.5, True), ("<=", 1.51, False), (">=", 1.8, True), (">=", 1.79, False)],
)
def test_check_meets_its_target_inclusively(op: str, value: float, met: bool) -> None:
    target = 1.5 if op == "<=" else 1.8
    assert Check("x", value, "x", op, target, "", "").met is met  # type: ignore[arg-type]


def test_nan_never_meets_a_target() -> None:
    assert not Check("x", math.nan, "x", "<=", 1.5, "", "").met


def test_table_shows_a_benchmark_that_did_not_run() -> None:
    ok = Outcome("B1", "many series", [Check("speed-up", 2.0, "x", ">=", 1.8, "a", "b")])
    broken = Outcome("B2", "ingest", error="BenchError: child exited 1\nTraceback ...")
    table = markdown([ok, broken])
    assert "| B1 many series | speed-up | 2.00x | ≥ 1.80x | ✓ | a | b |" in table
    assert "| B2 ingest | did not run | | | ✗ | BenchError: child exited 1 | |" in table


def test_import_time_is_summed_by_third_party_package() -> None:
    stderr = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       500 |        900 |     numpy.core",
            "import time:       100 |       1500 |   numpy",
            "import time:      2000 |       4000 | pandas",
            "import time:        10 |       9000 | dropcast_forecast.main",
        ]
    )
    assert b5_cold_start._by_package(stderr) == {"pandas": 4.0, "numpy": 1.5}
