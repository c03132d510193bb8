"""How a promotion moves traffic, and its default canary share.

Apart from :mod:`~dropcast_cli.deploy.plan` so that the ``deploy`` command's
options can name them without importing the plans and release models
(pydantic classes: a few hundredths of a CPU-second for every ``dropcast``
command, ``dropcast forecast`` too).
"""

from __future__ import annotations

from typing import Literal

DEFAULT_CANARY_PERCENT = 10

PromoteMode = Literal["canary", "finish", "rollback"]
