"""A native ``model=prophet`` run imports neither Prophet, cmdstanpy nor statsforecast.

Those imports cost 2-3 CPU-s per process, as much as the fits of a few
hundred series (benchmark B1); a run that needs none of them must not pay
for them, in the parent or in a pool worker. Checked in a fresh
interpreter, since the test process itself has imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# scipy.stats: 0.5 CPU-s of import, once pulled in by the regressors module for one quantile.
HEAVY = ("prophet", "cmdstanpy", "statsforecast", "matplotlib.pyplot", "scipy.stats")

_SCRIPT = textwrap.dedent(
    """
    import json
    import sys

    import numpy as np
    import pandas as pd

    from dropcast_common.params import Params
    from dropcast_forecasting.engine import run_forecast
    from dropcast_forecasting.pool import parallel

    HEAVY = {heavy!r}


    def loaded():
        return sorted(name for name in HEAVY if name in sys.modules)


    ds = pd.date_range("2022-01-03", periods=120, freq="D").as_unit("ns")
    frame = pd.concat(
        pd.DataFrame({{"series_id": sid, "ds": ds, "y": 100 + np.sin(np.arange(120) * k)}})
        for k, sid in enumerate("abcd", start=1)
    )
    run = run_forecast(frame, Params(horizon=7, model="{model}"), workers=2)
    assert run.counts().get("skipped", 0) == 0, run.counts()
    pool = parallel.get_pool(2)
    workers = [pool.submit(loaded).result() for _ in range(4)]
    print(json.dumps({{"parent": loaded(), "workers": workers, "methods": run.counts()}}))
    """
)


def _imports(model: str) -> dict[str, object]:
    script = _SCRIPT.format(heavy=HEAVY, model=model)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_native_prophet_run_imports_no_heavy_library() -> None:
    seen = _imports("prophet")
    assert seen["methods"] == {"prophet": 4}
    assert seen["parent"] == []
    assert seen["workers"] == [[], [], [], []]


def test_a_model_choice_run_has_its_candidates_imported_before_the_workers_fork() -> None:
    # The parent imports statsforecast once and the forked workers inherit it,
    # instead of each worker importing it again on its first batch.
    seen = _imports("auto")
    assert "statsforecast" in seen["parent"]  # type: ignore[operator]
    assert all("statsforecast" in names for names in seen["workers"])  # type: ignore[attr-defined]
