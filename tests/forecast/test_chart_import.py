"""The chart imports matplotlib without its generated help, and leaves it whole.

``render.agg`` skips the per-class ``set()`` documentation while matplotlib
is imported (0.2 CPU-s of every chart-drawing process). Checked in a fresh
interpreter, since the test process may have imported matplotlib already.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

_SCRIPT = textwrap.dedent(
    """
    import inspect
    import json

    from dropcast_forecasting.render.agg import agg_classes

    Figure, FigureCanvasAgg = agg_classes()
    from matplotlib.lines import Line2D

    line = Line2D([0, 1], [0, 1])
    line.set(linewidth=3, color="red")  # set() still takes every property


    class Later(Line2D):  # defined after the import: documented as usual
        'A Line2D subclass made after the import.'


    figure = Figure(figsize=(2, 1))
    FigureCanvasAgg(figure)
    figure.add_subplot().plot([0, 1], [1, 0])
    figure.canvas.draw()
    print(json.dumps({
        "linewidth": line.get_linewidth(),
        "imported_set": list(inspect.signature(Line2D.set).parameters),
        "later_set": list(inspect.signature(Later.set).parameters),
        "later_doc": "linewidth" in (Later.set.__doc__ or ""),
    }))
    """
)


def test_matplotlib_is_imported_without_its_set_documentation_and_restored() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["linewidth"] == 3
    assert seen["imported_set"] == ["self", "kwargs"]  # skipped: no per-property signature
    assert "linewidth" in seen["later_set"]
    assert seen["later_doc"]
