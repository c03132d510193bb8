"""Fuzzing runs only when asked: ``nox -s fuzz`` (or ``DROPCAST_FUZZ=1 pytest -m fuzz tests/fuzz``).

Left out of the default test run (it is long by design): without
``DROPCAST_FUZZ`` nothing here is collected. ``DROPCAST_FUZZ=quick`` is the
CI-sized run; any other value is the full one. Hypothesis profiles set how
many examples each fuzzer tries, which bounds its time.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

MODE = os.environ.get("DROPCAST_FUZZ", "")
collect_ignore_glob = [] if MODE else ["test_*.py"]

_COMMON = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("fuzz-quick", _COMMON, max_examples=150)
settings.register_profile("fuzz", _COMMON, max_examples=3000)
if MODE:  # never change Hypothesis settings for the ordinary test run
    settings.load_profile("fuzz-quick" if MODE == "quick" else "fuzz")
