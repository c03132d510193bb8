"""Exit codes: one meaning each, the same for every ``dropcast`` command.

docs/operations.md ("Exit codes") has the table; scripts rely on it.
"""

from __future__ import annotations

DONE = 0
"""The job is done (or the command did what it was asked)."""
FAILED = 1
"""A platform fault, a dead-lettered job, or a command that could not run (no stack, no access)."""
REJECTED = 2
"""The input was refused: the file, a parameter, or a request that cannot be done as asked.
The message (or error report) says how to fix it."""
PENDING = 3
"""The job has not finished (yet, or within ``--timeout``); it goes on."""
NOT_FOUND = 4
"""The job reference names no job and no uploaded object."""
SUPERSEDED = 5
"""A newer upload of the same object replaced this job before it finished; that job has the
outputs (its generation is in the status)."""

DEFAULT_TIMEOUT_SECONDS = 600.0
"""How long ``submit``, ``status --wait``, ``retry --wait``, ``logs --follow`` and ``demo`` wait."""
