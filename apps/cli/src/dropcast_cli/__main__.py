"""``python -m dropcast_cli`` runs the dropcast command."""

from dropcast_cli.app import main

main()
