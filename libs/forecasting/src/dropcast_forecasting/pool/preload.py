"""What the fork server imports once, ahead of traffic, for every worker it forks.

The service's default (``model=auto``) fits statsforecast's candidates, so
their import and first fits are paid here, once, rather than by the first
batch of every worker. The CLI forks its workers instead and prepares only
what the run's parameters need (``parallel.map_series``).
"""

from __future__ import annotations

from dropcast_forecasting.pool import worker  # noqa: F401 - imported to be inherited
from dropcast_forecasting.quiet import warm_up_candidates

warm_up_candidates()
