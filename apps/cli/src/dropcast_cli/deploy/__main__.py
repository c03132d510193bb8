"""``python -m dropcast_cli.deploy``: what the deploy-dev and promote nox sessions run."""

from dropcast_cli.deploy.cli import main

raise SystemExit(main())
