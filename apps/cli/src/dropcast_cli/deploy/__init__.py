"""Deploy dropcast: build, apply dev, promote to prod with a canary, finish, roll back.

Plans are pure data (``plan``), printed by ``--dry-run`` and executed by
``runner``; ``preflight`` refuses a real run without a project, credentials,
the tools or a clean tree; ``release`` is the committed record of what runs
where.
"""
