"""``dropcast`` leaves its heap out of the interpreter's last collections, and still cleans up.

The shutdown's garbage collections walked every object a ``dropcast
forecast`` still held: 0.2-0.35 of B1's 2 CPU-s (issue 18). ``main`` freezes
the heap on the way out; exit handlers must still run (the pool's
workers stopped, their scratch space removed) and the outputs be complete.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

_SCRIPT = textwrap.dedent(
    """
    import atexit
    import gc
    import sys

    # Registered first, so it runs last: after the command's own exit handlers.
    atexit.register(lambda: print("frozen", gc.get_freeze_count()))
    sys.argv = ["dropcast", *{argv!r}]
    from dropcast_cli.app import main

    main()
    """
)


def test_a_forecast_exits_with_its_heap_frozen_and_its_scratch_space_removed(
    tmp_path: Path,
) -> None:
    source = tmp_path / "sales.csv"
    rows = [
        f"{sid},2024-{1 + i // 28:02d}-{1 + i % 28:02d},{100 + i % 7 + 5 * k}"
        for k, sid in enumerate("abc")
        for i in range(84)
    ]
    source.write_text("id,date,value\n" + "\n".join(rows) + "\n")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "out"
    argv = ["forecast", str(source), "-o", str(out), "-p", "horizon=7", "-p", "model=prophet"]
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(argv=argv)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    frozen = int(done.stdout.strip().splitlines()[-1].split()[1])
    assert frozen > 10_000  # pandas' and the command's objects, not a handful
    assert sorted(p.name for p in out.iterdir()) == ["sales.csv", "sales.png", "sales.report.json"]
    assert len((out / "sales.csv").read_text().splitlines()) == 1 + 3 * 7
    assert list(scratch.iterdir()) == []  # the pool's scratch directories are gone
