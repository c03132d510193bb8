"""dropcast's benchmark suite: every figure a ratio against a baseline measured in the same run.

Run it with ``nox -s bench`` (the whole suite, minutes) or ``nox -s bench --
--quick`` (every benchmark at tiny sizes: proves the suite still runs, never
fails on timing). Results go to ``bench-results/`` as JSON plus a markdown
table; docs/benchmarks.md holds the committed table and what it means.
"""
