"""``dropcast forecast`` imports only what a one-shot forecast uses.

The command's process start is part of every forecast's cost (issue 18:
the whole 200-series file gets about 3 CPU-s). The other commands' modules
(the local stack, the job commands' storage clients, the deploy's plans),
Parquet support without ``output_parquet`` and matplotlib's pyplot cost a
tenth of a CPU-second or more and do nothing for it. Checked in a fresh
interpreter, since the test process itself has imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

NOT_FOR_FORECAST = (
    "dropcast_cli.stack",
    "dropcast_cli.provision",
    "dropcast_cli.procs",
    "dropcast_cli.localclient",
    "dropcast_cli.jobs",
    "dropcast_cli.submit",
    "dropcast_common.pipeline",
    "dropcast_cli.deploy.plan",
    "dropcast_cli.deploy.release",
    "dropcast_common.storage",
    "google.cloud.storage",
    "google.cloud.pubsub",
    "pyarrow.parquet",
    "matplotlib.pyplot",
    "prophet",
    "cmdstanpy",
    "statsforecast",
)

_SCRIPT = textwrap.dedent(
    """
    import atexit
    import json
    import runpy
    import sys

    WATCHED = {watched!r}
    atexit.register(
        lambda: print(json.dumps(sorted(m for m in WATCHED if m in sys.modules)))
    )
    sys.argv = ["dropcast", *{argv!r}]
    runpy.run_module("dropcast_cli", run_name="__main__")
    """
)


def _imported(argv: list[str], cwd: Path) -> tuple[list[str], str]:
    script = _SCRIPT.format(watched=NOT_FOR_FORECAST, argv=argv)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]), "\n".join(lines[:-1])


def test_a_forecast_imports_none_of_the_other_commands_modules(tmp_path: Path) -> None:
    source = tmp_path / "sales.csv"
    days = [f"2024-01-{d:02d}" for d in range(1, 32)] + [f"2024-02-{d:02d}" for d in range(1, 30)]
    rows = [
        f"{sid},{day},{100 + i % 7 + 3 * k}"
        for k, sid in enumerate("ab")
        for i, day in enumerate(days)
    ]
    source.write_text("id,date,value\n" + "\n".join(rows) + "\n")
    argv = ["forecast", str(source), "-o", str(tmp_path / "out"), "-p", "horizon=7"]

    loaded, output = _imported([*argv, "-p", "model=prophet"], tmp_path)

    assert (tmp_path / "out" / "sales.csv").is_file(), output
    assert (tmp_path / "out" / "sales.png").is_file(), output
    assert loaded == []


def test_the_help_still_lists_every_command(tmp_path: Path) -> None:
    loaded, output = _imported(["--help"], tmp_path)
    for command in ("up", "down", "env", "forecast", "demo", "submit", "status", "deploy"):
        assert f" {command} " in output, output
    assert loaded == []
