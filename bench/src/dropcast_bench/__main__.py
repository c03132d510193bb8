"""``python -m dropcast_bench``: run the suite (see :mod:`dropcast_bench.run`)."""

from dropcast_bench.run import main

raise SystemExit(main())
